// Command groupcache_vectors prints owner vectors computed by golang/groupcache's
// consistenthash, configured as HTTPPool.Set configures it (50 replicas, CRC-32
// IEEE). tests/unit/peerlib/hash_test.cpp checks peerlib's consistent_hash
// against the output, tests/golden/groupcache_vectors.json.
//
// Run through scripts/gen-groupcache-vectors.sh (no network, GOPATH from Debian).
package main

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"runtime"
	"sort"
	"strconv"

	"github.com/golang/groupcache/consistenthash"
)

// defaultReplicas is groupcache's http.go defaultReplicas, used by HTTPPool.Set.
const defaultReplicas = 50

type vector struct {
	Name     string   `json:"name"`
	Replicas int      `json:"replicas"`
	Peers    []string `json:"peers"`
	Keys     []string `json:"keys"`
	Owners   []string `json:"owners"`
}

type document struct {
	Generator string   `json:"generator"`
	Go        string   `json:"go"`
	Note      string   `json:"note"`
	Vectors   []vector `json:"vectors"`
}

func urls(n int, port int) []string {
	out := make([]string, n)
	for i := 0; i < n; i++ {
		out[i] = fmt.Sprintf("http://10.128.%d.%d:%d", i/250, i%250+2, port)
	}
	return out
}

func keys(prefix string, n int) []string {
	out := make([]string, n)
	for i := 0; i < n; i++ {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func run(name string, replicas int, peers, ks []string) vector {
	m := consistenthash.New(replicas, nil)
	m.Add(peers...)
	owners := make([]string, len(ks))
	for i, k := range ks {
		owners[i] = m.Get(k)
	}
	return vector{Name: name, Replicas: replicas, Peers: peers, Keys: ks, Owners: owners}
}

// ring rebuilds consistenthash's sorted hash list, only to choose keys near a point.
func ring(replicas int, peers []string) []uint32 {
	var r []uint32
	for _, p := range peers {
		for i := 0; i < replicas; i++ {
			r = append(r, crc32.ChecksumIEEE([]byte(strconv.Itoa(i)+p)))
		}
	}
	sort.Slice(r, func(a, b int) bool { return r[a] < r[b] })
	return r
}

// collision finds two different peer URLs with one equal ring hash: there
// consistenthash's map keeps the peer added last, so Set's argument order matters.
func collision(replicas int) (string, string, uint32) {
	seen := make(map[uint32]string)
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			u := fmt.Sprintf("http://10.%d.%d.7:8080", a, b)
			for i := 0; i < replicas; i++ {
				h := crc32.ChecksumIEEE([]byte(strconv.Itoa(i) + u))
				if prev, ok := seen[h]; ok && prev != u {
					return prev, u, h
				}
				seen[h] = u
			}
		}
	}
	panic("no collision found")
}

// keysAt returns n keys whose hash falls in (prev, point], i.e. keys owned by the ring point.
func keysAt(replicas int, peers []string, point uint32, n int) []string {
	r := ring(replicas, peers)
	idx := sort.Search(len(r), func(i int) bool { return r[i] >= point })
	var lo uint32
	wrap := idx == 0
	if !wrap {
		j := idx - 1
		for j >= 0 && r[j] == point {
			j--
		}
		if j < 0 {
			wrap = true
		} else {
			lo = r[j]
		}
	}
	var out []string
	for i := 0; len(out) < n; i++ {
		k := "collide-" + strconv.Itoa(i)
		h := crc32.ChecksumIEEE([]byte(k))
		if h <= point && (wrap || h > lo) {
			out = append(out, k)
		}
	}
	return out
}

func main() {
	doc := document{
		Generator: "scripts/gen-groupcache-vectors.sh (scripts/groupcache_vectors/main.go)",
		Go:        runtime.Version(),
		Note: "owners from github.com/golang/groupcache/consistenthash.New(replicas, nil) " +
			"after Add(peers...) in the listed order; \"\" when there are no peers",
	}
	odd := []string{"", "a", "key", "user:42", "ключ", "キー", "with space", "tab\tkey",
		"0", "00", "http://10.128.0.2:8080", string(make([]byte, 300))}
	v := &doc.Vectors
	*v = append(*v, run("no peers", defaultReplicas, []string{}, []string{"a", "b", ""}))
	*v = append(*v, run("one peer", defaultReplicas, urls(1, 8080), append(keys("k", 20), odd...)))
	*v = append(*v, run("three peers", defaultReplicas, urls(3, 8080), append(keys("key-", 500), odd...)))
	*v = append(*v, run("ten peers", defaultReplicas, urls(10, 8080), keys("user:", 1000)))
	*v = append(*v, run("64 peers", defaultReplicas, urls(64, 9000), keys("", 2000)))
	*v = append(*v, run("300 peers", defaultReplicas, urls(300, 8080), keys("obj/", 2000)))
	*v = append(*v, run("names, not URLs", defaultReplicas,
		[]string{"cache-a", "cache-b", "cache-c", "cache-d"}, keys("x", 300)))
	*v = append(*v, run("one replica", 1, urls(5, 8080), keys("r1-", 300)))
	*v = append(*v, run("three replicas", 3, urls(7, 8080), keys("r3-", 300)))
	*v = append(*v, run("500 replicas", 500, urls(4, 8080), keys("r500-", 300)))
	// Unsorted input: order only matters for equal ring hashes, never otherwise.
	rev := urls(6, 8080)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	*v = append(*v, run("six peers reversed", defaultReplicas, rev, keys("key-", 500)))

	// Two URLs sharing a ring hash: the one added last owns that point.
	a, b, point := collision(defaultReplicas)
	third := "http://10.255.255.254:8080"
	ks := append(keysAt(defaultReplicas, []string{a, b, third}, point, 20), keys("other-", 200)...)
	*v = append(*v, run("equal ring hash, first order", defaultReplicas, []string{a, b, third}, ks))
	*v = append(*v, run("equal ring hash, second order", defaultReplicas, []string{b, a, third}, ks))
	// The same peer added twice is harmless.
	*v = append(*v, run("duplicate peer", defaultReplicas, []string{a, b, a}, ks))

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
