// Package a is a job package of the test module.
package a

// Used is run by the tests.
func Used() int {
	x := 1
	return x
}

// Unused is run by no test.
func Unused() int {
	y := 2
	y++
	return y
}

// T has methods.
type T[E any] struct{ e E }

// Get is a method of a generic type.
func (t *T[E]) Get() E {
	return t.e
}
