// Command etcd is the real etcd server, built from go.etcd.io/etcd/server/v3 at the version
// Kubernetes selects (the etcd binary's own main lives in a module we do not need).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
