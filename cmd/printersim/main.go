// Command printersim is a virtual ESC/POS thermal printer.
//
//	printersim render -o DIR [-width 384|576] [-chinese] [-font PATH[#INDEX]] FILE...
//	printersim serve (-pty | -tcp 127.0.0.1:9100) -o DIR [-width 384|576] [-status paper-out] ...
//	printersim dump FILE...
//
// render writes one PNG per cut of each input file, named FILE-NNN.png (warnings such as
// unknown commands go to stderr; the exit status is non-zero only for unreadable input).
// serve creates a pseudo-terminal (printing its path) or listens on TCP, acts as a serial or
// network printer there, answers DLE EOT status requests as they arrive, and writes each cut
// as DIR/page-NNNN.png. It stops on SIGINT/SIGTERM, writing the paper left after the last cut.
// dump lists the parsed commands of a stream, one per line, for debugging.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"onedoor/drivers/printersim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "printersim:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  printersim render -o DIR [-width 384|576] [-chinese] [-font PATH[#INDEX]] FILE...
  printersim dump FILE...   (list the commands of a stream)
  printersim serve (-pty | -tcp ADDR) -o DIR [-width 384|576] [-chinese] [-status LIST] [-font PATH[#INDEX]]`

// common holds the flags both subcommands take.
type common struct {
	out     string
	width   int
	chinese bool
	font    string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.out, "o", ".", "output directory for the PNG pages")
	fs.IntVar(&c.width, "width", printersim.Width80mm, "paper width in dots: 384 (58 mm) or 576 (80 mm)")
	fs.BoolVar(&c.chinese, "chinese", false, "start in Chinese (GB18030) mode, like most Chinese printers")
	fs.StringVar(&c.font, "font", "", "CJK font file, PATH or PATH#INDEX for a .ttc (default: $"+printersim.FontEnv+", then fonts-noto-cjk, fonts-wqy-microhei)")
}

func (c *common) config() (printersim.Config, error) {
	if c.width != printersim.Width58mm && c.width != printersim.Width80mm {
		return printersim.Config{}, fmt.Errorf("-width %d: want 384 (58 mm) or 576 (80 mm)", c.width)
	}
	f, err := printersim.FindFont(c.font)
	if err != nil {
		return printersim.Config{}, err
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return printersim.Config{}, fmt.Errorf("output directory: %w", err)
	}
	return printersim.Config{Width: c.width, Font: f, ChineseMode: c.chinese}, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "render":
		return render(args[1:], stdout, stderr)
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "dump":
		return dump(args[1:], stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown subcommand %q\n%s", args[0], usage)
}

func render(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("render: no input files\n" + usage)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	var failed []string
	for _, in := range fs.Args() {
		data, err := os.ReadFile(in)
		if err != nil {
			fmt.Fprintf(stderr, "printersim: %v\n", err)
			failed = append(failed, in)
			continue
		}
		base := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		pages, warnings := printersim.Render(data, cfg)
		for _, w := range warnings {
			fmt.Fprintf(stderr, "%s: warning: %s\n", in, w)
		}
		for _, pg := range pages {
			name := filepath.Join(c.out, fmt.Sprintf("%s-%03d.png", base, pg.Index+1))
			if err := writePage(name, pg); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("cannot read %s", strings.Join(failed, ", "))
	}
	return nil
}

func writePage(name string, pg *printersim.Page) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write page: %w", err)
	}
	if err := pg.WritePNG(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write page %s: %w", name, err)
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	usePTY := fs.Bool("pty", false, "serve on a new pseudo-terminal (its path is printed)")
	addr := fs.String("tcp", "", "serve on this TCP address, e.g. 127.0.0.1:9100")
	statusSpec := fs.String("status", "ok", "initial status: ok or a list such as paper-out,cover-open,offline,paper-near-end,cutter-error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *usePTY == (*addr != "") {
		return errors.New("serve: give exactly one of -pty and -tcp\n" + usage)
	}
	st, err := printersim.ParseStatus(*statusSpec)
	if err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	cfg.Status = st
	pageErr := make(chan error, 1)
	cfg.OnPage = func(pg *printersim.Page) {
		name := filepath.Join(c.out, fmt.Sprintf("page-%04d.png", pg.Index+1))
		if err := writePage(name, pg); err != nil {
			select {
			case pageErr <- err:
			default:
			}
			return
		}
		fmt.Fprintf(stdout, "page %s (%s cut, %d lines)\n", name, pg.Cut, len(pg.Lines))
	}
	cfg.OnWarning = func(w printersim.Warning) { fmt.Fprintf(stderr, "warning: %s\n", w) }
	p := printersim.New(cfg)
	var serveErr error
	if *usePTY {
		t, err := printersim.OpenPTY()
		if err != nil {
			return err
		}
		defer t.Close()
		fmt.Fprintln(stdout, t.Path())
		serveErr = t.Serve(ctx, p)
	} else {
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		fmt.Fprintln(stdout, ln.Addr())
		serveErr = printersim.ServeTCP(ctx, ln, p)
	}
	p.End()
	select {
	case err := <-pageErr:
		return errors.Join(serveErr, err)
	default:
	}
	return serveErr
}

// dump prints one line per parsed command: offset, mnemonic, parameters, payload size.
func dump(files []string, stdout io.Writer) error {
	for _, in := range files {
		data, err := os.ReadFile(in)
		if err != nil {
			return fmt.Errorf("dump: %w", err)
		}
		for _, c := range printersim.Parse(data) {
			switch c.Kind {
			case printersim.KindText:
				fmt.Fprintf(stdout, "%6d text %q\n", c.Offset, c.Data)
			default:
				fmt.Fprintf(stdout, "%6d %-8s % x", c.Offset, c.Name, c.Params)
				if len(c.Data) > 0 {
					fmt.Fprintf(stdout, " +%d bytes", len(c.Data))
				}
				fmt.Fprintln(stdout)
			}
		}
	}
	return nil
}
