//go:build tools

// Package tools pins helm for `make deploy-check` (helm template of the Temporal values);
// built from the Go module proxy, cached under .local.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
