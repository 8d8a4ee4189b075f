package bench

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkServerCPU is a server under load, measured on the server's
// side only: hasp serve's shape (hasp.Listen, hasphttp.Serve) or net/http
// with crypto/tls, a minimal handler, and the clients — two goroutines,
// each a full TLS 1.3 handshake and one GET per connection, crypto/tls for
// both servers — in another process, so that getrusage in this one counts
// the server's CPU alone. It reports server CPU per connection and
// connections per server CPU-second (the inverse). One op is one
// connection.
func BenchmarkServerCPU(b *testing.B) {
	for _, srv := range implOrder("hasp", "std") {
		b.Run("server="+srv, func(b *testing.B) {
			addr, stop := startLoadServer(b, srv, "minimal")
			defer stop()
			cmd := exec.Command(os.Args[0], "-test.run=^TestLoadClientProcess$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("HASP_LOAD_CLIENT=%s,%d", addr, b.N))
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			cpu := cpuNow()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if err := cmd.Wait(); err != nil || !strings.HasPrefix(line, "done") {
				b.Fatalf("client process: %q %v", line, err)
			}
			used := cpuNow() - cpu
			b.ReportMetric(float64(used.Microseconds())/float64(b.N), "server-cpu-us/conn")
			b.ReportMetric(float64(b.N)/used.Seconds(), "conn/server-cpu-s")
		})
	}
}

// TestLoadClientProcess is BenchmarkServerCPU's clients, in their own
// process: two goroutines make the connections one after another.
func TestLoadClientProcess(t *testing.T) {
	spec := os.Getenv("HASP_LOAD_CLIENT")
	if spec == "" {
		return // only as BenchmarkServerCPU's child
	}
	addr, nStr, _ := strings.Cut(spec, ",")
	n, _ := strconv.Atoi(nStr)
	// The servers' CA is this process's own test CA's twin: verification
	// is not what is measured here (it is the client's cost).
	cc := &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}
	req := []byte("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	var wg sync.WaitGroup
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				c, err := tls.Dial("tcp", addr, cc)
				if err != nil {
					errs <- err
					return
				}
				c.SetDeadline(time.Now().Add(30 * time.Second))
				c.Write(req)
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				c.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	fmt.Println("done")
}
