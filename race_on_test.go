//go:build race

package hasp

// raceEnabled: the race detector instruments every function, which
// deepens stack frames (TestIdleStackShrinks measures them).
const raceEnabled = true
