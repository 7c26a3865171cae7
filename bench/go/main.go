// The Go benchmark's workload: call a traced function N times and print the cost of one call
// in nanoseconds of this process's CPU time and of wall-clock time. Run untraced, then under
// `tracetape record 'go:BIN:FUNC'` (an entry and an exit probe per call); the difference is
// what tracing costs a call. Two functions, because where the entry probe can go differs:
//
//   main.Work(i, s)  calls another function, so it starts with Go's stack check: the entry
//                    probe sits on the check's conditional jump, which the kernel emulates;
//   main.Leaf(i, s)  a leaf with no stack check: the entry probe sits on an ordinary
//                    instruction, which the kernel must single-step out of line.
//
// Both have an int and a string argument and an int result; their RET is single-stepped.
//
//	gobench work|leaf N
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

//go:noinline
func Leaf(i int, s string) int {
	return i + len(s)
}

//go:noinline
func Work(i int, s string) int {
	return Leaf(i, s) + 1
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gobench work|leaf N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "gobench: N must be a positive number")
		os.Exit(2)
	}
	f := Work
	if os.Args[1] == "leaf" {
		f = Leaf
	}
	sum := 0
	c0, t0 := cpuNs(), time.Now()
	for i := 0; i < n; i++ {
		sum += f(i, "payload")
	}
	c1, t1 := cpuNs(), time.Now()
	fmt.Printf("ns_per_call=%.1f\nwall_ns_per_call=%.1f\nsum=%d\n",
		float64(c1-c0)/float64(n), float64(t1.Sub(t0).Nanoseconds())/float64(n), sum)
}
