//go:build tools

// Package tools pins kube-apiserver for `make deploy-check` (a real API server for server-side
// dry runs of the manifests); built from the Go module proxy, cached under .local.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
