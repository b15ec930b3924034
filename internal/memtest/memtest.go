// Package memtest measures what a piece of code costs, for the tests that
// bound hostile input (templates, expressions) in time and memory.
package memtest

import (
	"runtime"
	"time"
)

// Measure runs f and reports how long it took, how far above where it
// started the heap grew at most (sampled every 5 ms, and at the end), and
// how much f allocated in all (a bound on growth the sampling could miss).
func Measure(f func()) (took time.Duration, peak, total uint64) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		var high uint64
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			high = max(high, m.HeapAlloc)
			select {
			case <-done:
				sampled <- high
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	f()
	took = time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	close(done)
	high := max(<-sampled, after.HeapAlloc)
	return took, high - min(high, before.HeapAlloc), after.TotalAlloc - before.TotalAlloc
}
