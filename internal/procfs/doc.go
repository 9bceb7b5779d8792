// Package procfs reads the two files of Linux's /proc/PID that the load
// tools and the tests watch a server process through (proc(5)): stat (its
// state, parent and CPU time) and status (its resident memory).
package procfs
