package standin

import (
	"archive/tar"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// trainingRequest is the part of SageMaker's CreateTrainingJob request the
// local run uses.
type trainingRequest struct {
	TrainingJobName        string
	AlgorithmSpecification struct {
		TrainingImage       string
		TrainingInputMode   string
		ContainerEntrypoint []string
		ContainerArguments  []string
		MetricDefinitions   []struct {
			Name  string
			Regex string
		}
	}
	HyperParameters stringMap
	InputDataConfig []struct {
		ChannelName string
		DataSource  struct {
			S3DataSource *struct {
				S3Uri                  string
				S3DataType             string
				S3DataDistributionType string
			}
		}
		ContentType       string
		InputMode         string
		RecordWrapperType string
	}
	CheckpointConfig *struct {
		S3Uri     string
		LocalPath string
	}
	OutputDataConfig struct {
		S3OutputPath string
	}
	ResourceConfig struct {
		InstanceCount  int
		InstanceType   string
		InstanceGroups []any
	}
	StoppingCondition struct {
		MaxRuntimeInSeconds int
	}
	Environment stringMap
}

// metric is a compiled MetricDefinition.
type metric struct {
	name string
	re   *regexp.Regexp
}

// modelEpoch is the modification time of every file in a packed archive, so
// that the same model files always give the same bytes.
var modelEpoch = time.Unix(0, 0).UTC()

// trainingJob runs a training job: channels downloaded to
// /opt/ml/input/data/<channel>, the hyperparameters written as strings, and
// on success /opt/ml/model packed into
// <S3OutputPath>/<TrainingJobName>/output/model.tar.gz. Without a
// ContainerEntrypoint it runs the binary "train" with the argument "train",
// as SageMaker runs a training image ("docker run <image> train");
// ContainerArguments, if given, replace that argument. With more than one
// instance every host runs; the model archive holds the /opt/ml/model files
// of every host, as SageMaker aggregates them ("How Amazon SageMaker
// Processes Training Output"), and a name two hosts both wrote fails the
// job, as that page asks jobs to avoid such clashes. Output data and
// metrics are algo-1's.
func (s *service) trainingJob(ctx context.Context, call Call) (any, error) {
	const svc = "SageMaker"
	if err := s.needStore(); err != nil {
		return nil, err
	}
	var req trainingRequest
	if err := decodeParams(svc, call.Parameters, &req); err != nil {
		return nil, err
	}
	if !jobNamePattern.MatchString(req.TrainingJobName) {
		return nil, validation(svc, "TrainingJobName %q does not match %s", req.TrainingJobName, jobNamePattern)
	}
	n, err := instanceCount(svc, "ResourceConfig.InstanceCount", req.ResourceConfig.InstanceCount)
	if err != nil {
		return nil, err
	}
	limit, seconds, err := maxRuntime(svc, req.StoppingCondition.MaxRuntimeInSeconds)
	if err != nil {
		return nil, err
	}
	if _, _, err := ParseS3URI(req.OutputDataConfig.S3OutputPath); err != nil {
		return nil, validation(svc, "OutputDataConfig.S3OutputPath: %v", err)
	}
	var metrics []metric
	for _, d := range req.AlgorithmSpecification.MetricDefinitions {
		re, err := regexp.Compile(d.Regex)
		if err != nil {
			return nil, validation(svc, "MetricDefinitions %q: %v", d.Name, err)
		}
		metrics = append(metrics, metric{name: d.Name, re: re})
	}
	if len(req.ResourceConfig.InstanceGroups) > 0 {
		return nil, validation(svc, "ResourceConfig.InstanceGroups (a heterogeneous cluster) is not supported by the local run; use InstanceCount and InstanceType")
	}
	checkpoints, checkpointURI := "", ""
	if c := req.CheckpointConfig; c != nil {
		if _, _, err := ParseS3URI(c.S3Uri); err != nil {
			return nil, validation(svc, "CheckpointConfig.S3Uri: %v", err)
		}
		// The default LocalPath, as CheckpointConfig's API reference gives it.
		local := cmp.Or(c.LocalPath, containerRoot+"/checkpoints")
		if checkpoints, err = containerRel(local); err != nil {
			return nil, validation(svc, "CheckpointConfig.LocalPath: %v", err)
		}
		if checkpoints == "input" || strings.HasPrefix(checkpoints, "input/") {
			return nil, validation(svc, "CheckpointConfig.LocalPath %q is inside %s/input, which the job may not write to", local, containerRoot)
		}
		checkpointURI = c.S3Uri
	}
	type channel struct{ name, uri, distribution, contentType, inputMode, recordWrapper string }
	var channels []channel
	seen := map[string]bool{}
	for i, c := range req.InputDataConfig {
		field := fmt.Sprintf("InputDataConfig[%d]", i)
		if !channelNamePattern.MatchString(c.ChannelName) || strings.Trim(c.ChannelName, ".") == "" || seen[c.ChannelName] {
			return nil, validation(svc, "%s: invalid or duplicate ChannelName %q", field, c.ChannelName)
		}
		seen[c.ChannelName] = true
		src := c.DataSource.S3DataSource
		if src == nil {
			return nil, validation(svc, "%s: only S3DataSource is supported by the local run", field)
		}
		if err := checkDataType(svc, field, src.S3DataType); err != nil {
			return nil, err
		}
		dist, err := checkDistribution(svc, field, src.S3DataDistributionType)
		if err != nil {
			return nil, err
		}
		if _, _, err := ParseS3URI(src.S3Uri); err != nil {
			return nil, validation(svc, "%s: %v", field, err)
		}
		mode, err := channelInputMode(svc, field, cmp.Or(c.InputMode, req.AlgorithmSpecification.TrainingInputMode))
		if err != nil {
			return nil, err
		}
		channels = append(channels, channel{c.ChannelName, src.S3Uri, dist, c.ContentType, mode, cmp.Or(c.RecordWrapperType, "None")})
	}

	dir, err := s.createJobDir(req.TrainingJobName)
	if err != nil {
		return nil, err
	}
	j := &job{
		kind:        "Training",
		name:        req.TrainingJobName,
		dir:         dir,
		hosts:       hostNames(n),
		failureFile: "output/failure",
		maxRuntime:  limit,
		maxSeconds:  seconds,
		args:        req.AlgorithmSpecification.ContainerArguments,
	}
	// The environment variables "How Amazon SageMaker Provides Training
	// Information" lists, then the request's own.
	j.env = append([]string{"TRAINING_JOB_NAME=" + j.name, "TRAINING_JOB_ARN=" + j.arn()}, envList(req.Environment)...)
	entrypoint := "train"
	if ep := req.AlgorithmSpecification.ContainerEntrypoint; len(ep) > 0 {
		// The entrypoint's own arguments come before ContainerArguments, as
		// in "docker run --entrypoint".
		entrypoint = ep[0]
		j.args = append(slices.Clone(ep[1:]), j.args...)
	} else if len(j.args) == 0 {
		j.args = []string{"train"}
	}
	j.call, j.settings = call, settings("Training", paramsMap(call.Parameters))
	s.recordCreateJob(call, j.settings)
	if j.bin, err = s.binary(j, entrypoint); err != nil {
		return nil, err
	}
	hyper := map[string]string(req.HyperParameters)
	if hyper == nil {
		hyper = map[string]string{}
	}
	dataConfig := map[string]any{}
	for _, c := range channels {
		cfg := map[string]string{"TrainingInputMode": c.inputMode, "S3DistributionType": c.distribution, "RecordWrapperType": c.recordWrapper}
		if c.contentType != "" {
			cfg["ContentType"] = c.contentType
		}
		dataConfig[c.name] = cfg
	}
	// The layout and its sources: layout.go.
	j.readOnly = []string{"input"}
	dirs := []string{"model", "output/data"}
	if checkpoints != "" {
		dirs = append(dirs, checkpoints)
	}
	for i, host := range j.hosts {
		root := j.root(i)
		rc := newTrainingResourceConfig(host, j.hosts, req.ResourceConfig.InstanceType)
		for name, v := range map[string]any{"hyperparameters.json": hyper, "resourceconfig.json": rc, "inputdataconfig.json": dataConfig} {
			if err := writeConfig(filepath.Join(root, "input", "config", name), v); err != nil {
				return nil, err
			}
		}
		if err := makeDirs(root, dirs...); err != nil {
			return nil, err
		}
	}
	for _, c := range channels {
		if err := s.downloadInput(j, c.uri, c.distribution, "input/data/"+c.name); err != nil {
			return nil, err
		}
	}

	var (
		mu   sync.Mutex
		last = map[string]float64{}
	)
	j.onLine = func(line string) {
		for _, m := range metrics {
			matches := m.re.FindAllStringSubmatch(line, -1)
			if len(matches) == 0 {
				continue
			}
			match := matches[len(matches)-1]
			text := match[0]
			if len(match) > 1 {
				text = match[1]
			}
			if v, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil {
				mu.Lock()
				last[m.name] = v
				mu.Unlock()
			}
		}
	}
	if err := s.run(ctx, j); err != nil {
		return nil, err
	}

	if checkpointURI != "" {
		// SageMaker keeps syncing the checkpoint directory to S3Uri while the
		// job runs; the local run copies what is there at the end, which is
		// what a later job that resumes from S3Uri sees.
		for i := range j.hosts {
			stored, err := s.cfg.Store.upload(filepath.Join(j.root(i), filepath.FromSlash(checkpoints)), checkpointURI)
			s.recordWrite(call, j.settings.role, j.settings.outputKey, stored)
			if err != nil {
				return nil, fmt.Errorf("checkpoints of %s: %w", j.name, err)
			}
		}
	}
	base := strings.TrimSuffix(req.OutputDataConfig.S3OutputPath, "/") + "/" + j.name + "/output/"
	modelURI := base + "model.tar.gz"
	modelDirs := make([]string, len(j.hosts))
	for i := range j.hosts {
		modelDirs[i] = filepath.Join(j.root(i), "model")
	}
	if err := s.packAndPut(j, modelDirs, filepath.Join(dir, "model.tar.gz"), modelURI); err != nil {
		var clash *nameClash
		if errors.As(err, &clash) {
			return nil, j.failed(fmt.Sprintf("ClientError: %s/model/%s was written by more than one instance (%s and %s); SageMaker aggregates every instance's %s/model into one model.tar.gz, so their names must not clash",
				containerRoot, clash.name, j.hosts[clash.first], j.hosts[clash.second], containerRoot))
		}
		return nil, fmt.Errorf("model of %s: %w", j.name, err)
	}
	// SageMaker also uploads /opt/ml/output/data, when the job wrote any.
	if has, err := hasFiles(filepath.Join(j.root(0), "output", "data")); err != nil {
		return nil, err
	} else if has {
		if err := s.packAndPut(j, []string{filepath.Join(j.root(0), "output", "data")}, filepath.Join(dir, "output.tar.gz"), base+"output.tar.gz"); err != nil {
			return nil, fmt.Errorf("output data of %s: %w", j.name, err)
		}
	}

	final := []any{}
	for _, m := range metrics {
		mu.Lock()
		v, ok := last[m.name]
		mu.Unlock()
		if ok {
			final = append(final, map[string]any{"MetricName": m.name, "Value": v})
		}
	}
	result := describe(call.Parameters)
	result["TrainingJobName"] = j.name
	result["TrainingJobArn"] = j.arn()
	result["TrainingJobStatus"] = "Completed"
	result["SecondaryStatus"] = "Completed"
	result["ModelArtifacts"] = map[string]any{"S3ModelArtifacts": modelURI}
	result["FinalMetricDataList"] = final
	return result, nil
}

// channelInputMode checks a channel's input mode (its own InputMode, else
// the job's TrainingInputMode, else File) and returns what SageMaker writes
// for it in inputdataconfig.json: a FastFile channel reads as "File" there
// ("How Amazon SageMaker Provides Training Information", Training Data).
// Pipe mode, which streams each epoch through a FIFO, is not supported
// locally.
func channelInputMode(svc, field, mode string) (string, error) {
	switch mode {
	case "", "File", "FastFile":
		return "File", nil
	case "Pipe":
		return "", validation(svc, "%s: input mode Pipe is not supported by the local run (only File and FastFile)", field)
	}
	return "", validation(svc, "%s: unknown input mode %q", field, mode)
}

// packAndPut packs dirs into the archive file at archive (see packTarGz)
// and stores it as uri.
func (s *service) packAndPut(j *job, dirs []string, archive, uri string) error {
	f, err := os.Create(archive)
	if err != nil {
		return err
	}
	if err := packTarGz(dirs, f); err != nil {
		f.Close()
		os.Remove(archive)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	s.recordWrite(j.call, j.settings.role, j.settings.outputKey, []string{uri})
	return s.cfg.Store.PutFile(uri, archive)
}

// hasFiles reports whether dir holds any file.
func hasFiles(dir string) (bool, error) {
	found := false
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	if os.IsNotExist(err) {
		return false, nil
	}
	return found, err
}

// PackTarGz writes the regular files below dir (following symbolic links to
// files) to w as a gzip-compressed tar archive, at their paths relative to
// dir, so the files of dir itself are at the archive's top level, as in
// SageMaker's model.tar.gz. Entries are in path order with a fixed mode
// (0644), owner and modification time, and the gzip header carries no name
// or time, so the same files always give the same bytes.
func PackTarGz(dir string, w io.Writer) error {
	return packTarGz([]string{dir}, w)
}

// nameClash is the error of packTarGz for a relative name that two of its
// directories (by index) both hold.
type nameClash struct {
	name          string
	first, second int
}

func (e *nameClash) Error() string {
	return fmt.Sprintf("%s is in directory %d and %d", e.name, e.first, e.second)
}

// packedFile is a file packTarGz packs.
type packedFile struct {
	path, name string // its path, and its slash path in the archive
	size       int64
}

// packTarGz is PackTarGz for the union of the files of dirs, which must not
// share a relative name (a *nameClash). Entries are in the order of a
// directory walk, one path segment after another.
func packTarGz(dirs []string, w io.Writer) error {
	var files []packedFile
	seen := map[string]int{}
	for i, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := os.Stat(p)
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			name := filepath.ToSlash(rel)
			if first, ok := seen[name]; ok {
				return &nameClash{name: name, first: first, second: i}
			}
			seen[name] = i
			files = append(files, packedFile{path: p, name: name, size: info.Size()})
			return nil
		})
		if err != nil {
			return err
		}
	}
	slices.SortFunc(files, func(a, b packedFile) int {
		return slices.Compare(strings.Split(a.name, "/"), strings.Split(b.name, "/"))
	})

	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, pf := range files {
		if err := packFile(tw, pf); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// packFile writes one file to tw.
func packFile(tw *tar.Writer, pf packedFile) error {
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     pf.name,
		Mode:     0o644,
		Size:     pf.size,
		ModTime:  modelEpoch,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	f, err := os.Open(pf.path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Copy exactly the size in the header: a file that changes while being
	// packed must not corrupt the archive.
	if _, err := io.CopyN(tw, f, pf.size); err != nil {
		return fmt.Errorf("pack %s: %w", pf.path, err)
	}
	return nil
}
