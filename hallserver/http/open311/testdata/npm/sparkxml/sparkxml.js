// OneDoor's stand-in for the sparkxml package that npm open311@0.0.12 requires from a git
// repository (it was never published to npm, and its parser needed a native libxml binding).
// Written from the Open311 wiki's description of the Spark convention
// (http://wiki.open311.org/JSON_and_XML_Conversion#The_Spark_Convention), with the same export:
//
//   parseXml(xmlString[, parseTypes = true]) → the root element converted:
//     - an element without child elements is its text (null when it has no content at all),
//       read as a number or a boolean when it looks like one (unless parseTypes is false);
//     - an element with one child element, or whose child elements repeat a name, is an array
//       of its children converted;
//     - other elements are objects keyed by child element name.
//
// scripts/deps.sh installs it in place of the git dependency (npm overrides); the Open311 client
// test (hallserver/http TestOpen311RealClient) runs the client with it.
'use strict';

const { DOMParser } = require('@xmldom/xmldom');

function children(el) {
  const out = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) out.push(n);
  }
  return out;
}

function typed(text) {
  const n = Number(text);
  if (text.trim() !== '' && !Number.isNaN(n)) return n;
  const l = text.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  return text;
}

function convert(el, parseTypes) {
  const kids = children(el);
  if (kids.length === 0) {
    if (!el.firstChild) return null;
    const text = el.textContent;
    return parseTypes && text !== '' ? typed(text) : text;
  }
  const names = new Set(kids.map((k) => k.localName || k.nodeName));
  if (kids.length === 1 || names.size < kids.length) {
    return kids.map((k) => convert(k, parseTypes));
  }
  const obj = {};
  for (const k of kids) obj[k.localName || k.nodeName] = convert(k, parseTypes);
  return obj;
}

exports.parseXml = function parseXml(xmlString, parseTypes) {
  const doc = new DOMParser({
    onError(level, msg) {
      if (level !== 'warning') throw new Error('sparkxml: ' + msg);
    },
  }).parseFromString(String(xmlString), 'text/xml');
  if (!doc.documentElement) throw new Error('sparkxml: no root element');
  return convert(doc.documentElement, parseTypes !== false);
};
