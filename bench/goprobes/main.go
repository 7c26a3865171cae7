// The Go probes benchmark's workload (bench/sections/62-goprobes.sh): N iterations of a loop,
// printing the cost of one iteration in nanoseconds of this process's CPU time and of wall
// time. The section generates ./probes from bench.d with `tracetape gen-go` first.
//
//	gpbench empty N     the loop alone
//	gpbench guarded N   the loop with `if probes.QueryEnabled() { probes.Query(i, sql) }`
//	gpbench probe N     the loop with `probes.Query(i, sql)` (traced: a hit per iteration)
//	gpbench func N      the loop calling an ordinary function query(i, sql), for go: specs
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"tracetape.bench/goprobes/probes"
)

var sink int64

//go:noinline
func query(id int64, sql string) {
	sink += id + int64(len(sql))
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gpbench empty|guarded|probe|func N")
		os.Exit(2)
	}
	n, err := strconv.ParseInt(os.Args[2], 10, 64)
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "gpbench: N must be a positive number")
		os.Exit(2)
	}
	sql := "SELECT 1"
	c0, t0 := cpuNs(), time.Now()
	switch os.Args[1] {
	case "empty":
		for i := int64(0); i < n; i++ {
			sink += i
		}
	case "guarded":
		for i := int64(0); i < n; i++ {
			sink += i
			if probes.QueryEnabled() {
				probes.Query(i, sql)
			}
		}
	case "probe":
		for i := int64(0); i < n; i++ {
			sink += i
			probes.Query(i, sql)
		}
	case "func":
		for i := int64(0); i < n; i++ {
			sink += i
			query(i, sql)
		}
	default:
		fmt.Fprintln(os.Stderr, "gpbench: unknown mode", os.Args[1])
		os.Exit(2)
	}
	c1, t1 := cpuNs(), time.Now()
	fmt.Printf("ns_per_iter=%.3f\nwall_ns_per_iter=%.3f\n", float64(c1-c0)/float64(n),
		float64(t1.Sub(t0).Nanoseconds())/float64(n))
}
