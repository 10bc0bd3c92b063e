// OneDoor's stand-in for node-expat 1.4.1, which npm xml2json@0.2.4 (a dependency of npm
// open311@0.0.12) needs and which, a native binding for node 0.x, builds on no current node.
// ersatz-node-expat is a published pure-JS parser with node-expat's events (startElement,
// text, endElement) and node-expat 2's write/end; node-expat 1's parse(xml) → boolean and
// getError() are added here. scripts/deps.sh installs it in place of node-expat (npm overrides).
'use strict';

const ersatz = require('ersatz-node-expat');

class Parser extends ersatz.Parser {
  parse(xml) {
    try {
      this.end(String(xml));
      return true;
    } catch (e) {
      this.error = e && e.message ? e.message : String(e);
      return false;
    }
  }

  getError() {
    return this.error || null;
  }
}

exports.Parser = Parser;
