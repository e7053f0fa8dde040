package main

// What the copied upstream package and its tests import, so that go.sum holds it and the
// scratch module builds without asking the module proxy.
import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/google/go-cmp/cmp/cmpopts"
	_ "go.yaml.in/yaml/v3"
	_ "sigs.k8s.io/randfill"
	_ "sigs.k8s.io/yaml"
	_ "sigs.k8s.io/yaml/kyaml"
)
