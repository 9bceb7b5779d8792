package e2e

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// Headers between the tests and their load balancer.
const (
	// headerPinNode in a request names the node that must serve it; the
	// proxy strips it.
	headerPinNode = "X-Test-Node"
	// headerServedBy in an answer names the node that served it.
	headerServedBy = "X-Test-Served-By"
)

// lbProxy is the load balancer in front of a cluster: one issuer address,
// each request sent to one node. A request pinned with headerPinNode goes
// to that node (up or not: a dead node answers 502); otherwise the routing
// function decides, or round robin over the nodes that are up. A node the
// proxy cannot reach gives 502, as a load balancer does.
type lbProxy struct {
	nodes    []*clusterNode
	backends map[string]*httputil.ReverseProxy
	route    atomic.Pointer[func(*http.Request) string]
	next     atomic.Uint64
	srv      *http.Server

	served          map[string]*atomic.Int64 // answers per node
	serverErrors    atomic.Int64             // 5xx other than 503 from any node
	lastServerError atomic.Value             // string: what the last one was
}

func newLBProxy(nodes []*clusterNode, l net.Listener) *lbProxy {
	p := &lbProxy{nodes: nodes, backends: map[string]*httputil.ReverseProxy{}, served: map[string]*atomic.Int64{}}
	p.lastServerError.Store("")
	transport := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	for _, n := range nodes {
		target, _ := url.Parse(n.url)
		name := n.name
		p.served[name] = &atomic.Int64{}
		p.backends[name] = &httputil.ReverseProxy{
			Transport: transport,
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.Out.Host = pr.In.Host // the node sees the issuer's host, as behind a real balancer
				pr.Out.Header.Del(headerPinNode)
			},
			ModifyResponse: func(res *http.Response) error {
				p.served[name].Add(1)
				res.Header.Set(headerServedBy, name)
				if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
					p.serverErrors.Add(1)
					p.lastServerError.Store(name + ": " + res.Status + " for " + res.Request.Method + " " + res.Request.URL.Path)
				}
				return nil
			},
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				w.Header().Set(headerServedBy, name)
				http.Error(w, "load balancer: node "+name+" unreachable", http.StatusBadGateway)
			},
		}
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(l) }()
	return p
}

func (p *lbProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get(headerPinNode)
	if name == "" {
		if f := p.route.Load(); f != nil {
			name = (*f)(r)
		}
	}
	if name == "" {
		name = p.roundRobin()
	}
	b, ok := p.backends[name]
	if !ok {
		http.Error(w, "load balancer: no node is up", http.StatusBadGateway)
		return
	}
	b.ServeHTTP(w, r)
}

// roundRobin picks the next node that is up, or "" when none is.
func (p *lbProxy) roundRobin() string {
	for range p.nodes {
		n := p.nodes[p.next.Add(1)%uint64(len(p.nodes))]
		if n.up.Load() {
			return n.name
		}
	}
	return ""
}

func (p *lbProxy) close() { _ = p.srv.Close() }
