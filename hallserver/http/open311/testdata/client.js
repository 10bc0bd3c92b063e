// Drives the real npm Open311 client (open311@0.0.12, Code for America; installed by
// scripts/deps.sh) against a OneDoor server, for hallserver/http TestOpen311RealClient:
//
//   node client.js BASE_URL API_KEY FORMAT(json|xml)
//
// It discovers the endpoint, lists the services, reads a service definition, submits a request,
// reads it back (by ID without a key, as the client does; in the list with the key), and prints
// what the client library returned, as one JSON object, for the test to check. Any error
// from the library exits 1.
'use strict';

const Open311 = require('open311');

const [base, apiKey, format] = process.argv.slice(2);

function call(fn) {
  return new Promise((resolve, reject) => {
    fn((err, data) => (err ? reject(new Error('open311 client: ' + JSON.stringify(err) + ' ' + JSON.stringify(data))) : resolve(data)));
  });
}

async function main() {
  const client = new Open311({ discovery: base + '/open311/discovery.' + format, jurisdiction: 'test.edu.cn', apiKey });
  const discovery = await call((cb) => client.serviceDiscovery({ cache: true }, cb));
  client.format = format; // the discovery's formats list both; take the one under test
  const services = await call((cb) => client.serviceList(cb));
  const definition = await call((cb) => client.serviceDefinition('library-seats', cb));
  const submitted = await call((cb) => client.submitRequest({
    service_code: 'library-seats',
    description: '三楼自习室有人长期用书占座 & <书包>',
    first_name: '三',
    last_name: '张',
    phone: '13812345678',
    address_string: '图书馆三楼东侧',
    lat: 39.90765,
    long: 116.39712,
    media_url: 'https://img.example.edu.cn/seat.jpg',
  }, cb));
  const id = submitted[0].service_request_id;
  const one = await call((cb) => client.serviceRequests(id, cb));
  const mine = await call((cb) => client.serviceRequests({ api_key: apiKey, status: 'open' }, cb));
  const byIds = await call((cb) => client.serviceRequests([id], cb));
  process.stdout.write(JSON.stringify({ endpoint: client.endpoint, discovery, services, definition, submitted, one, mine, byIds }) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
