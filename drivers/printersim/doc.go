// Package printersim is a virtual ESC/POS thermal printer.
//
// A Parser splits the byte stream into Commands (incrementally, so a server can answer
// DLE EOT while the stream is still arriving). A Printer keeps the print settings the
// commands change and draws what an Epson-class printer at 203 dpi would print: text in a
// CJK outline font (GB18030 in Chinese mode), character sizes, emphasis, underline,
// reverse, alignment, margins, raster images, QR codes drawn module by module and 1D
// barcodes with HRI text. Each cut ends a Page, an image the paper's width in dots
// (384 for 58 mm, 576 for 80 mm). The printer's Status (paper out, cover open, ...) is set
// by tests and reported through DLE EOT; while the printer is not ready nothing is printed.
//
// Unknown commands are skipped with a Warning; no input makes the parser panic or loop.
// OpenPTY with PTY.Serve, ServeTCP and Serve put a Printer on a pseudo-terminal, a TCP port
// or any connection.
package printersim
