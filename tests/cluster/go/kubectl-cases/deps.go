package main

// What the copied upstream packages and their tests import, so that go.sum holds it and the
// scratch module builds without asking the module proxy.
import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/liggitt/tabwriter"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/apimachinery/pkg/api/meta"
	_ "k8s.io/apimachinery/pkg/api/resource"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1beta1"
	_ "k8s.io/apimachinery/pkg/runtime"
	_ "k8s.io/cli-runtime/pkg/printers"
	_ "k8s.io/client-go/third_party/forked/golang/template"
	_ "k8s.io/klog/v2"
	_ "k8s.io/kubectl/pkg/scheme"
	_ "k8s.io/utils/ptr"
)
