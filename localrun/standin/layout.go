package standin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The local /opt/ml follows what AWS documents for the two container
// contracts, and where the documentation is silent it takes the stricter
// reading, so that a job that works locally does not depend on anything
// SageMaker does not promise:
//
//   - Processing: "How Amazon SageMaker Processing Configures Your
//     Processing Container" and "... Configures Input and Output"
//     (https://docs.aws.amazon.com/sagemaker/latest/dg/build-your-own-processing-container.html):
//     /opt/ml/config/processingjobconfig.json and resourceconfig.json, each
//     ProcessingInput downloaded to its LocalPath and each ProcessingOutput's
//     LocalPath, all below /opt/ml/processing/, and /opt/ml/output/message for
//     the job's exit message. The page does not say that /opt/ml/output
//     exists before the job starts, so it is not created: the job creates it
//     (internal/sagemaker.WriteFailure does).
//   - Training: "How Amazon SageMaker Provides Training Information"
//     (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html):
//     /opt/ml/input/config/hyperparameters.json, inputdataconfig.json and
//     resourceconfig.json, one /opt/ml/input/data/<channel> per channel;
//     "How Amazon SageMaker Processes Training Output"
//     (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-output.html):
//     /opt/ml/model and /opt/ml/output/failure; /opt/ml/output/data (the
//     training toolkit's SM_OUTPUT_DATA_DIR), which SageMaker uploads as
//     output.tar.gz;
//     "Use checkpoints in Amazon SageMaker"
//     (https://docs.aws.amazon.com/sagemaker/latest/dg/model-checkpoints.html):
//     /opt/ml/checkpoints (or CheckpointConfig.LocalPath) only when the
//     request has a CheckpointConfig.
//
// Read-only: the training page says a FastFile channel "is mounted as
// read-only"; for File-mode channels, processing inputs and the config files
// the pages say nothing. The local run makes all of them read-only (files
// mode 0444), because a job that writes into its inputs or its config fails
// on a read-only mount and relies on undocumented behaviour elsewhere.
// Directories stay writable (0755) so that a run directory can be removed
// without a chmod. As the jobs may run as root, which ignores mode bits, the
// local run also compares the read-only trees before and after a job and
// fails a job that changed them (see [checkReadOnly]).

// readOnlyFile is the mode of the config and input files the local run
// writes for a job.
const readOnlyFile fs.FileMode = 0o444

// homogeneousCluster is the instance group name SageMaker gives a training
// job that does not ask for instance groups, in current_group_name and
// instance_groups of resourceconfig.json. The training information page
// does not list these fields; "Modify your training script to assign
// instance groups"
// (https://docs.aws.amazon.com/sagemaker/latest/dg/train-heterogeneous-cluster-modify-training-script.html)
// describes them, and the resource config that SageMaker's training
// toolkit logs from real jobs (SM_RESOURCE_CONFIG) carries this name.
const homogeneousCluster = "homogeneousCluster"

// networkInterface is the network_interface_name of a training job. The
// training information page's example shows "eth1" as an example; the
// resource config of real jobs, as the training toolkit logs it, says
// "eth0", which is what the local run writes.
const networkInterface = "eth0"

// processingResourceConfig is /opt/ml/config/resourceconfig.json of a
// processing job: the processing page documents current_host and hosts
// only, so that is all the local run writes; a job must not count on more.
type processingResourceConfig struct {
	CurrentHost string   `json:"current_host"`
	Hosts       []string `json:"hosts"`
}

// trainingResourceConfig is /opt/ml/input/config/resourceconfig.json of a
// training job, with every field SageMaker writes: current_host, hosts and
// network_interface_name (the training information page), and
// current_instance_type, current_group_name and instance_groups (the
// heterogeneous cluster pages; one group named [homogeneousCluster] holding
// every host when the request has no instance groups).
type trainingResourceConfig struct {
	CurrentHost          string          `json:"current_host"`
	CurrentInstanceType  string          `json:"current_instance_type"`
	CurrentGroupName     string          `json:"current_group_name"`
	Hosts                []string        `json:"hosts"`
	InstanceGroups       []instanceGroup `json:"instance_groups"`
	NetworkInterfaceName string          `json:"network_interface_name"`
}

// instanceGroup is one entry of instance_groups in a training job's
// resourceconfig.json.
type instanceGroup struct {
	InstanceGroupName string   `json:"instance_group_name"`
	InstanceType      string   `json:"instance_type"`
	Hosts             []string `json:"hosts"`
}

// newTrainingResourceConfig returns the resource config of host in a
// training job on hosts of one instance type.
func newTrainingResourceConfig(host string, hosts []string, instanceType string) trainingResourceConfig {
	return trainingResourceConfig{
		CurrentHost:          host,
		CurrentInstanceType:  instanceType,
		CurrentGroupName:     homogeneousCluster,
		Hosts:                hosts,
		InstanceGroups:       []instanceGroup{{InstanceGroupName: homogeneousCluster, InstanceType: instanceType, Hosts: hosts}},
		NetworkInterfaceName: networkInterface,
	}
}

// hostNames returns the names of the n instances of a job, algo-1 to
// algo-n, in the order resourceconfig.json lists them: "sorted
// lexicographically" (the training information page), so algo-10 comes
// before algo-2.
func hostNames(n int) []string {
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("algo-%d", i+1)
	}
	slices.Sort(hosts)
	return hosts
}

// writeConfig writes v as indented JSON to p, read-only, creating its
// directory. p must not exist yet: every config file is written once,
// before the job starts.
func writeConfig(p string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, append(b, '\n'), readOnlyFile); err != nil {
		return err
	}
	// WriteFile's mode is subject to the umask; the file's mode is not.
	return os.Chmod(p, readOnlyFile)
}

// makeDirs creates the directories rels (slash paths relative to root).
func makeDirs(root string, rels ...string) error {
	for _, rel := range rels {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(rel)), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// processingJobConfig returns /opt/ml/config/processingjobconfig.json for a
// request: the request as the processing page's example shows it, with the
// job's ARN added, the tags left out (the example has none, and Describe
// does not return them either) and the defaults the example shows filled
// in where the request leaves them out.
func processingJobConfig(params any, arn string, maxSeconds int) (map[string]any, error) {
	// A deep copy: the defaults filled in below must not reach the request,
	// which is also the job's description.
	b, err := json.Marshal(describe(params))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		return nil, err
	}
	cfg["ProcessingJobArn"] = arn
	app, _ := cfg["AppSpecification"].(map[string]any)
	for _, k := range []string{"ContainerEntrypoint", "ContainerArguments"} {
		if _, ok := app[k]; app != nil && !ok {
			app[k] = nil
		}
	}
	inputs, _ := cfg["ProcessingInputs"].([]any)
	for _, in := range inputs {
		s3, _ := lookup(in, "S3Input").(map[string]any)
		if s3 == nil {
			continue
		}
		setDefault(s3, "S3DataDistributionType", "FullyReplicated")
		setDefault(s3, "S3InputMode", "File")
		setDefault(s3, "S3CompressionType", "None")
		setDefault(s3, "S3DownloadMode", "StartOfJob")
	}
	if out, ok := cfg["ProcessingOutputConfig"].(map[string]any); ok {
		setDefault(out, "KmsKeyId", nil)
	}
	if cc, ok := lookup(cfg, "ProcessingResources", "ClusterConfig").(map[string]any); ok {
		setDefault(cc, "VolumeKmsKeyId", nil)
	}
	stop, ok := cfg["StoppingCondition"].(map[string]any)
	if !ok {
		stop = map[string]any{}
		cfg["StoppingCondition"] = stop
	}
	setDefault(stop, "MaxRuntimeInSeconds", maxSeconds)
	return cfg, nil
}

// setDefault sets m[key] to v unless m has key.
func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok {
		m[key] = v
	}
}

// fileState is what [snapshot] keeps of a file to tell whether it changed.
type fileState struct {
	size int64
	mod  time.Time
	mode fs.FileMode
}

// snapshot records every entry below the directories rels of root, by slash
// path relative to root. A missing directory records nothing.
func snapshot(root string, rels []string) (map[string]fileState, error) {
	files := map[string]fileState{}
	for _, rel := range rels {
		dir := filepath.Join(root, filepath.FromSlash(rel))
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == dir && errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			r, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			st := fileState{mode: info.Mode()}
			if !d.IsDir() {
				st.size, st.mod = info.Size(), info.ModTime()
			}
			files[filepath.ToSlash(r)] = st
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// checkReadOnly compares the read-only trees of a host after its job with
// their snapshot from before, and names what the job added, removed or
// changed there, as container paths. On SageMaker such a write fails on a
// read-only mount (FastFile channels) or relies on behaviour AWS does not
// document (everything else); the local run fails the job instead of
// letting a root process get away with it. Only a job that succeeded is
// checked: a failed one keeps its own reason.
func checkReadOnly(before, after map[string]fileState) error {
	var changes []string
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			changes = append(changes, containerRoot+"/"+p+" (added)")
		case a != b:
			changes = append(changes, containerRoot+"/"+p+" (changed)")
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			changes = append(changes, containerRoot+"/"+p+" (removed)")
		}
	}
	if len(changes) == 0 {
		return nil
	}
	slices.Sort(changes)
	const shown = 5
	more := ""
	if len(changes) > shown {
		more = fmt.Sprintf(" and %d more", len(changes)-shown)
		changes = changes[:shown]
	}
	return fmt.Errorf("ClientError: the job wrote to its read-only inputs or configuration: %s%s. "+
		"The local run keeps input and config files read-only, as SageMaker mounts FastFile channels; write to an output directory instead",
		strings.Join(changes, ", "), more)
}
