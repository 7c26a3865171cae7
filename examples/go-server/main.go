// Command go-server is the small web server that tracetape's Go tracing is demonstrated on.
//
// GET /?name=Ada&year=1815 answers with a greeting. On the way, the handler calls two plain Go
// functions that are worth watching from the outside:
//
//   - checkSite() asks a helper goroutine for a status code and waits for the answer on a
//     channel. The goroutine may run on another OS thread, and the calling goroutine may wake
//     up on a different thread than it started on: this is why a Go function's entry and exit
//     must be paired by goroutine id, not by thread id.
//   - prepareAnswer(name, year, status) builds the reply. Its arguments (a string and two ints)
//     are passed in registers under Go's register ABI: RAX/RBX hold the string's pointer and
//     length, RCX the year, RDI the status; the result string comes back in RAX/RBX.
//
// Flags: -addr (default 127.0.0.1:8080) and -requests N, which makes the server exit after it
// has answered N requests, so that demos and tests end on their own. SIGINT and SIGTERM also
// stop it cleanly. Only the standard library is used.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// checkSite pretends to probe an upstream site: a helper goroutine does the "work" and sends
// the resulting HTTP status back over a channel.
func checkSite() int {
	result := make(chan int, 1) // buffered: the helper never blocks, even after a timeout
	go func() {
		time.Sleep(2 * time.Millisecond) // the upstream's latency
		result <- http.StatusOK
	}()
	select {
	case status := <-result:
		return status
	case <-time.After(time.Second):
		return http.StatusGatewayTimeout
	}
}

// prepareAnswer builds the text of the reply.
func prepareAnswer(name string, year int, status int) string {
	age := time.Now().Year() - year
	return fmt.Sprintf("Hello, %s! You are about %d years old. The site says: %d %s.",
		name, age, status, http.StatusText(status))
}

// server answers requests and counts them, so that main can stop after -requests.
type server struct {
	limit  int64         // 0: no limit
	served atomic.Int64  // requests answered so far
	done   chan struct{} // closed once served reaches limit
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	defer s.count()
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		name = "stranger"
	}
	year, err := strconv.Atoi(q.Get("year"))
	if err != nil {
		http.Error(w, "query parameter year must be a number, e.g. /?name=Ada&year=1815",
			http.StatusBadRequest)
		return
	}
	status := checkSite()
	fmt.Fprintln(w, prepareAnswer(name, year, status))
}

func (s *server) count() {
	if n := s.served.Add(1); s.limit > 0 && n == s.limit {
		close(s.done)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	requests := flag.Int64("requests", 0, "exit after answering this many requests (0: never)")
	flag.Parse()
	if *requests < 0 {
		fmt.Fprintln(os.Stderr, "go-server: -requests must be 0 or more")
		os.Exit(2)
	}

	s := &server{limit: *requests, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.handle)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("go-server: %v", err)
	}
	// Printed once the socket accepts connections: scripts can wait for this line.
	fmt.Fprintf(os.Stderr, "go-server: listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case <-s.done:
	case <-ctx.Done():
	case err := <-serveErr:
		log.Fatalf("go-server: %v", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("go-server: shutdown: %v", err)
	}
	fmt.Fprintf(os.Stderr, "go-server: served %d requests\n", s.served.Load())
}
