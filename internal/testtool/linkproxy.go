package testtool

import (
	"io"
	"net"
	"sync"
	"testing"
)

// LinkProxy forwards TCP to a server and can cut every connection and refuse new ones until it
// is up again: a client's network link failing and coming back.
type LinkProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

// NewLinkProxy listens on a free local port and forwards to target (host:port) until the test
// ends.
func NewLinkProxy(t testing.TB, target string) *LinkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &LinkProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.SetDown(true) })
	return p
}

// URL is the proxy's http:// base URL.
func (p *LinkProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *LinkProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

// SetDown cuts every open connection and refuses new ones (down), or lets them through again.
func (p *LinkProxy) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]struct{}{}
	}
}
