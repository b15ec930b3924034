// Package exam is ckalab's timed exam mode: exam sets (which scenarios an
// exam is made of, how long it lasts, its pass mark), the draw of an
// exam's tasks from the catalog, the exam's state on disk, and the
// deadline.
//
// The package knows scenarios only as Candidates: the catalog and the lab
// (what it can run, which scenarios conflict) stay with the caller, so
// that the draw and the clock can be tested without either. It never
// prints, reads no environment and takes its clock from the caller: an
// exam is all about time, and tests must control it.
package exam
