// Package escpos encodes ESC/POS byte streams for the thermal ticket printers
// in OneDoor's service halls (58 mm and 80 mm, Chinese GB18030 models).
//
// It is pure: it builds bytes and decodes status replies, and performs no I/O
// (package onedoor/drivers/printer moves the bytes). The pieces are:
//
//   - [Builder]: accumulates commands (ESC @, FS & / FS ., ESC a, ESC E,
//     ESC -, GS !, ESC d, GS V, GS ( k QR, GS v 0 raster) and text. Text in
//     Chinese mode is encoded to GB18030 but restricted to its 1- and 2-byte
//     forms: characters that need a 4-byte sequence (¥, ©, emoji, CJK
//     extension B…) are replaced by a readable fallback, never sent raw.
//   - [Status] and [DecodeStatus]: the DLE EOT n real-time status replies,
//     bit by bit as in the Epson ESC/POS reference.
//   - [Profile], [LookupProfile] and [Pacer]: printer widths, capabilities and
//     the pacing rule that keeps a 4 KB receive buffer from overflowing on
//     serial lines without flow control.
//   - [Ticket] and [CaseReceipt]: the two layouts, one function each for all
//     widths.
package escpos
