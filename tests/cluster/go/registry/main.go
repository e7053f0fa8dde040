// Command registry is the CNCF distribution registry's own server (distribution v3), built from
// the Go module proxy for the test cluster and the push-image tests. It registers what those
// use: filesystem storage, the htpasswd and token access controllers, and the redirect storage
// middleware. Upstream's cmd/registry also links the S3, Azure and GCS drivers and the
// pull-through proxy, which the tests never use, with their cloud SDKs.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/middleware/redirect"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
