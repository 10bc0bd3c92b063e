import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import fs from 'fs';
const enc = new ReceiptPrinterEncoder({language: 'esc-pos', printerModel: 'epson-tm-t88v'});
const out = enc.initialize()
  .codepage('epson/katakana').line('ｶﾀｶﾅ ﾃｽﾄ')
  .codepage('cp437').line('PDF417:')
  .pdf417('OneDoor A023 https://hall.example.edu.cn/f/Q7x2KpL9', {columns: 0, rows: 0, width: 3, height: 3, errorlevel: 1})
  .newline()
  .cut().encode();
fs.writeFileSync(process.argv[2], Buffer.from(out));
console.log(out.length);
