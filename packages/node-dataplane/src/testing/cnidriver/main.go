// cnidriver: a minimal CNI runtime on libcni (Debian golang-github-appc-cni-dev), for tests and
// the benchmark. Built at test set-up with
//   GO111MODULE=off GOPATH=/usr/share/gocode go build -o <dir>/cnidriver main.go
// and never committed as a binary.
//
// Usage (env CNI_PATH: plugin dirs, ':'-separated; CNI_CACHE_DIR: libcni's result cache):
//   cnidriver add|check|del <conflist> <containerID> <netnsPath> <ifname> [K=V;K=V]
//   cnidriver bench <conflist> <ifname> <netnsPath>...   (ADD each, then DEL each; timings JSON)
// Plugin errors are printed as the plugin's {code, msg, details} on stdout with exit status 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

func main() {
	if len(os.Args) < 3 {
		die(fmt.Errorf("usage: cnidriver add|check|del|bench <conflist> ..."))
	}
	list, err := libcni.ConfListFromFile(os.Args[2])
	if err != nil {
		die(err)
	}
	cn := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(os.Getenv("CNI_PATH")), os.Getenv("CNI_CACHE_DIR"), nil)
	ctx := context.Background()
	if os.Args[1] == "bench" {
		bench(ctx, cn, list, os.Args[3], os.Args[4:])
		return
	}
	if len(os.Args) < 6 {
		die(fmt.Errorf("usage: cnidriver %s <conflist> <containerID> <netns> <ifname> [args]", os.Args[1]))
	}
	rt := runtimeConf(os.Args[3], os.Args[4], os.Args[5])
	if len(os.Args) > 6 {
		for _, kv := range strings.Split(os.Args[6], ";") {
			if p := strings.SplitN(kv, "=", 2); len(p) == 2 {
				rt.Args = append(rt.Args, [2]string{p[0], p[1]})
			}
		}
	}
	switch os.Args[1] {
	case "add":
		res, err := cn.AddNetworkList(ctx, list, rt)
		if err != nil {
			die(err)
		}
		_ = res.Print()
	case "check":
		if err := cn.CheckNetworkList(ctx, list, rt); err != nil {
			die(err)
		}
	case "del":
		if err := cn.DelNetworkList(ctx, list, rt); err != nil {
			die(err)
		}
	default:
		die(fmt.Errorf("unknown command %s", os.Args[1]))
	}
}

func runtimeConf(id, netns, ifname string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID: id,
		NetNS:       netns,
		IfName:      ifname,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", "bench"},
			{"K8S_POD_NAME", id},
			{"K8S_POD_UID", "uid-" + id},
		},
	}
}

// bench runs ADD for every netns, then DEL for every netns, timing each call in milliseconds.
func bench(ctx context.Context, cn *libcni.CNIConfig, list *libcni.NetworkConfigList, ifname string, netns []string) {
	out := struct {
		Add []float64 `json:"add"`
		Del []float64 `json:"del"`
	}{}
	for i, ns := range netns {
		rt := runtimeConf(fmt.Sprintf("bench%d", i), ns, ifname)
		t := time.Now()
		if _, err := cn.AddNetworkList(ctx, list, rt); err != nil {
			die(err)
		}
		out.Add = append(out.Add, float64(time.Since(t).Microseconds())/1000)
	}
	for i, ns := range netns {
		rt := runtimeConf(fmt.Sprintf("bench%d", i), ns, ifname)
		t := time.Now()
		if err := cn.DelNetworkList(ctx, list, rt); err != nil {
			die(err)
		}
		out.Del = append(out.Del, float64(time.Since(t).Microseconds())/1000)
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

func die(err error) {
	var te *types.Error
	if errors.As(err, &te) {
		_ = json.NewEncoder(os.Stdout).Encode(te)
	} else {
		_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"code": 999, "msg": err.Error()})
	}
	os.Exit(1)
}
