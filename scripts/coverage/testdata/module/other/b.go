// Package other is a package of the test module outside jobs/.
package other

// B is run by the tests.
func B() int {
	return 1
}
