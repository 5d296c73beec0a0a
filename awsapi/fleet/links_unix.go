//go:build unix

package fleet

import (
	"os"
	"syscall"
)

// hardLinks is the number of names the file has.
func hardLinks(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Nlink)
	}
	return 1
}
