package main

import (
	"bytes"
	"io"
	"net/http"
)

// recorder is the http.ResponseWriter of the in-process admin API
// (--config): it keeps the answer so adminConn reads it as it would a
// response from a node's admin listener.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *recorder) response(req *http.Request) *http.Response {
	r.WriteHeader(http.StatusOK)
	return &http.Response{
		Status: http.StatusText(r.status), StatusCode: r.status, Header: r.header,
		Body: io.NopCloser(&r.body), Request: req, ContentLength: int64(r.body.Len()),
	}
}
