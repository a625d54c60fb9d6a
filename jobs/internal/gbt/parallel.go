package gbt

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// resolveThreads turns the Threads setting into a goroutine count.
func resolveThreads(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// parallelFor calls fn(i) for every i in [0, n) on up to threads
// goroutines. Callers make results independent of the schedule by having
// each i write only to its own output; that is what keeps training
// deterministic whatever the thread count.
func parallelFor(threads, n int, fn func(i int)) {
	workers := min(threads, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
