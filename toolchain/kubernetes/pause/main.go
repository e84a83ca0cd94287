// Command pause is the process that holds a pod's namespaces on the CI cluster, where the
// registry's registry.k8s.io/pause image is out of reach. As that one does, it sleeps until
// SIGINT or SIGTERM and, as the pod's first process, reaps the orphans given to it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
