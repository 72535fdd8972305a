// bench/net/go: the Go echo server of the networking family (E1-E4): net.Listen on
// 127.0.0.1 (port chosen by the OS), one goroutine per connection reading up to 64 KiB and
// writing it back. Run with GOMAXPROCS=1. Prints "PORT <n>", serves until killed.
package main

import (
	"fmt"
	"net"
	"os"
)

func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 64*1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go echo(c) // TCP_NODELAY is Go's default
	}
}
