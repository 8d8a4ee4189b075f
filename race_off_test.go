//go:build !race

package hasp

const raceEnabled = false
