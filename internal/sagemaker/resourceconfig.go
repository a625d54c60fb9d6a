package sagemaker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// singleHost is the name SageMaker gives the only instance of a one-instance
// job, used when there is no resource config at all.
const singleHost = "algo-1"

// ResourceConfig is the cluster layout SageMaker writes to resourceconfig.json
// (see [Paths.ResourceConfig] and [Paths.ProcessingResourceConfig]). Fields
// SageMaker adds that we do not use, such as instance groups, are ignored.
// A processing job's file documents only current_host and hosts, so the
// other fields are empty there.
type ResourceConfig struct {
	// CurrentHost is the name of the instance this container runs on.
	CurrentHost string `json:"current_host"`
	// Hosts lists every instance of the job, algo-1 to algo-N.
	Hosts []string `json:"hosts"`
	// CurrentInstanceType is the instance type, e.g. "ml.m5.xlarge".
	CurrentInstanceType string `json:"current_instance_type,omitempty"`
	// NetworkInterfaceName is the interface to use for traffic between hosts.
	NetworkInterfaceName string `json:"network_interface_name,omitempty"`
}

// ReadResourceConfig reads the resourceconfig.json file at path. A missing
// file yields the single-host layout {CurrentHost: "algo-1", Hosts:
// ["algo-1"]} and no error, so a binary run locally behaves like a
// one-instance job. A file that is not valid JSON, or whose current_host is
// empty or not listed exactly once in hosts, is an error naming the file:
// sharding work by [ResourceConfig.HostIndex] on such a layout would
// silently skip or duplicate data.
func ReadResourceConfig(path string) (ResourceConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ResourceConfig{CurrentHost: singleHost, Hosts: []string{singleHost}}, nil
	}
	if err != nil {
		return ResourceConfig{}, fmt.Errorf("reading resource config: %w", err)
	}
	var c ResourceConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return ResourceConfig{}, fmt.Errorf("resource config %s: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return ResourceConfig{}, fmt.Errorf("resource config %s: %w", path, err)
	}
	return c, nil
}

// validate checks that the layout names the current host exactly once, which
// is what makes HostIndex meaningful.
func (c ResourceConfig) validate() error {
	if c.CurrentHost == "" {
		return errors.New("current_host is empty")
	}
	seen := make(map[string]bool, len(c.Hosts))
	for _, h := range c.Hosts {
		if seen[h] {
			return fmt.Errorf("host %q listed more than once in hosts %q", h, c.Hosts)
		}
		seen[h] = true
	}
	if !seen[c.CurrentHost] {
		return fmt.Errorf("current_host %q not in hosts %q", c.CurrentHost, c.Hosts)
	}
	return nil
}

// HostIndex returns the zero-based position of CurrentHost in Hosts, taking
// Hosts in the order SageMaker lists them (algo-1 first), so that each host
// can pick its own shard of the work. It returns -1 if CurrentHost is not in
// Hosts, which cannot happen for a config from [ReadResourceConfig].
func (c ResourceConfig) HostIndex() int {
	return slices.Index(c.Hosts, c.CurrentHost)
}

// HostCount returns the number of hosts in the job, the number of shards to
// split work into.
func (c ResourceConfig) HostCount() int {
	return len(c.Hosts)
}
