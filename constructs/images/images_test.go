package images

import (
	"encoding/json"
	"fmt"
	"github.com/mlpipeline-go/mlpipeline/internal/iamtest"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	repoName = "team/jobs"
	digest   = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	byoURI   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs@" + digest
)

// The templates under test, built once in one app: jsii costs seconds per app.
var (
	outdir         string // the cloud assembly
	dockerCalls    string // a file that the docker stand-in appends its arguments to
	buildTemplate  assertions.Template
	buildImage     JobImage // the bundled Dockerfile, default directory
	repoTemplate   assertions.Template
	teamRepo       awsecr.IRepository
	uriTemplate    assertions.Template
	uriImage       JobImage
	hashes         = map[string]string{} // asset hash per hashCases name
	buildAssetHash string
)

// A hashCase changes one file of a minimal project; the asset hash must
// change exactly when the image could.
type hashCase struct {
	name    string
	file    string // relative to the project root
	content string
	changes bool
}

var hashCases = []hashCase{
	{"job code", "jobs/x/main.go", "package main\n\nfunc main() { println(1) }\n", true},
	{"new job file", "jobs/x/util.go", "package main\n", true},
	{"go.sum", "go.sum", "example.com/m v1.0.0 h1:x=\n", true},
	{"Dockerfile", dockerfile, "FROM scratch\n", true},
	{"README", "README.md", "# Changed\n", false},
	{"job test", "jobs/x/main_test.go", "package main\n\n// changed\n", false},
	{"job docs", "jobs/x/README.md", "# Changed\n", false},
	{"job test data", "jobs/x/testdata/in.csv", "a,b\n", false},
	{"cdk.json", "cdk.json", "{}\n", false},
	{"infra", "infra/stack.go", "package infra\n", false},
	{"other construct", "constructs/storage/storage.go", "package storage\n", false},
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "images-test-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)

	// Synthesis must not need Docker: put a docker that records its calls
	// and fails first on the PATH and in CDK_DOCKER (which CDK prefers).
	// The jsii client, created when the packages registered their types,
	// took a copy of the environment before this; closing it (its Node
	// process has not started) makes the first jsii call below start one
	// with this environment.
	dockerCalls = filepath.Join(tmp, "docker-calls")
	bin := filepath.Join(tmp, "bin")
	if err := writeFile(filepath.Join(bin, "docker"), "#!/bin/sh\necho \"$@\" >> '"+dockerCalls+"'\nexit 1\n"); err != nil {
		panic(err)
	}
	if err := os.Chmod(filepath.Join(bin, "docker"), 0o755); err != nil {
		panic(err)
	}
	os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.Setenv("CDK_DOCKER", filepath.Join(bin, "docker"))
	jsii.Close()

	outdir = filepath.Join(tmp, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})

	// Every stack is defined before the first template is taken: taking one
	// synthesizes the app, after which the tree may not change.
	build := awscdk.NewStack(app, jsii.String("Build"), nil)
	buildImage = NewJobImage(build, "Image", nil)
	buildImage.GrantPull(newRole(build))
	awscdk.NewCfnOutput(build, jsii.String("ImageUri"), &awscdk.CfnOutputProps{Value: buildImage.ImageUri()})
	buildAssetHash = *buildImage.(*jobImage).asset.AssetHash()

	repo := awscdk.NewStack(app, jsii.String("Repo"), nil)
	teamRepo = awsecr.Repository_FromRepositoryName(repo, jsii.String("Repository"), jsii.String(repoName))
	repoImage := NewJobImage(repo, "Image", &JobImageProps{Repository: teamRepo, Tag: "v1.4.2"})
	repoImage.GrantPull(newRole(repo))
	awscdk.NewCfnOutput(repo, jsii.String("ImageUri"), &awscdk.CfnOutputProps{Value: repoImage.ImageUri()})

	uri := awscdk.NewStack(app, jsii.String("Uri"), nil)
	uriImage = NewJobImage(uri, "Image", &JobImageProps{ImageUri: byoURI})
	uriImage.GrantPull(newRole(uri))
	awscdk.NewCfnOutput(uri, jsii.String("ImageUri"), &awscdk.CfnOutputProps{Value: uriImage.ImageUri()})

	// One minimal project per hash case, each in a directory of its own:
	// assets are cached by source directory within an app.
	hash := awscdk.NewStack(app, jsii.String("Hash"), nil)
	hashRole := newRole(hash)
	for i, c := range append([]hashCase{{name: "base"}}, hashCases...) {
		dir := filepath.Join(tmp, fmt.Sprintf("project%d", i))
		if err := writeProject(dir); err != nil {
			panic(err)
		}
		if c.file != "" {
			if err := writeFile(filepath.Join(dir, c.file), c.content); err != nil {
				panic(err)
			}
		}
		img := NewJobImage(hash, fmt.Sprintf("Image%d", i), &JobImageProps{Directory: dir})
		img.GrantPull(hashRole)
		hashes[c.name] = *img.(*jobImage).asset.AssetHash()
	}

	buildTemplate = assertions.Template_FromStack(build, nil)
	repoTemplate = assertions.Template_FromStack(repo, nil)
	uriTemplate = assertions.Template_FromStack(uri, nil)

	defer jsii.Close()
	return m.Run()
}

func newRole(scope awscdk.Stack) awsiam.Role {
	return awsiam.NewRole(scope, jsii.String("JobRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil),
	})
}

// writeProject writes the smallest project the bundled Dockerfile builds,
// with the real Dockerfile, into dir.
func writeProject(dir string) error {
	dockerfileText, err := os.ReadFile("Dockerfile")
	if err != nil {
		return err
	}
	files := map[string]string{
		"go.mod":              "module example.com/m\n\ngo 1.26.0\n",
		"go.sum":              "",
		"README.md":           "# Project\n",
		"jobs/x/main.go":      "package main\n\nfunc main() {}\n",
		"jobs/x/main_test.go": "package main\n",
		dockerfile:            string(dockerfileText),
	}
	for name, content := range files {
		if err := writeFile(filepath.Join(dir, name), content); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

func TestValidate(t *testing.T) {
	repo := teamRepo
	project := t.TempDir()
	require.NoError(t, writeProject(project))
	noDockerfile := t.TempDir()
	require.NoError(t, writeFile(filepath.Join(noDockerfile, "go.mod"), "module m\n"))

	tests := []struct {
		name    string
		props   JobImageProps
		wantErr string
	}{
		{"zero value builds", JobImageProps{}, ""},
		{"build from directory", JobImageProps{Directory: project}, ""},
		{"repository with tag", JobImageProps{Repository: repo, Tag: "v1.4.2"}, ""},
		{"repository with digest", JobImageProps{Repository: repo, Tag: digest}, ""},
		{"repository with token tag", JobImageProps{Repository: repo, Tag: *awscdk.Aws_STACK_NAME()}, ""},
		{"image URI with tag", JobImageProps{ImageUri: "registry.example.com:5000/ml/jobs:v1"}, ""},
		{"image URI with digest", JobImageProps{ImageUri: byoURI}, ""},
		{"image URI token", JobImageProps{ImageUri: *awscdk.Aws_STACK_NAME()}, ""},
		{"repository and image URI", JobImageProps{Repository: repo, Tag: "v1", ImageUri: byoURI},
			`images: repository and image URI "` + byoURI + `" are both set; valid: one of them, or neither to build the bundled Dockerfile`},
		{"tag without repository", JobImageProps{Tag: "v1"},
			`images: tag "v1" is set without a repository; valid: a tag only together with a repository (for any other image, put the tag in the image URI)`},
		{"repository without tag", JobImageProps{Repository: repo},
			`images: repository is set without a tag; valid: the image's tag (such as "v1.4.2") or digest ("sha256:...")`},
		{"bad tag", JobImageProps{Repository: repo, Tag: "-v1"},
			`images: tag "-v1" is invalid; valid: a Docker tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-") or a digest "sha256:<64 hex digits>"`},
		{"short digest", JobImageProps{Repository: repo, Tag: "sha256:abc"},
			`images: tag "sha256:abc" is invalid; valid: a Docker tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-") or a digest "sha256:<64 hex digits>"`},
		{"directory with repository", JobImageProps{Directory: project, Repository: repo, Tag: "v1"},
			fmt.Sprintf("images: directory %q is set for a brought image; valid: a directory only when building the bundled Dockerfile", project)},
		{"directory with image URI", JobImageProps{Directory: project, ImageUri: byoURI},
			fmt.Sprintf("images: directory %q is set for a brought image; valid: a directory only when building the bundled Dockerfile", project)},
		{"image URI without tag", JobImageProps{ImageUri: "registry.example.com:5000/ml/jobs"},
			`images: image URI "registry.example.com:5000/ml/jobs" names no tag or digest; valid: a pinned image, such as "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs:v1.4.2"`},
		{"image URI with space", JobImageProps{ImageUri: "jobs: v1"},
			`images: image URI "jobs: v1" is invalid; valid: at most 255 characters without whitespace`},
		{"directory without go.mod", JobImageProps{Directory: t.TempDir() + "/missing"},
			"has no go.mod; valid: the project root, which holds go.mod, jobs/ and constructs/images/Dockerfile"},
		{"directory without Dockerfile", JobImageProps{Directory: noDockerfile},
			fmt.Sprintf("images: directory %q has no constructs/images/Dockerfile; valid: the project root, which holds go.mod, jobs/ and constructs/images/Dockerfile", noDockerfile)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.props.validate()
			switch {
			case tt.wantErr == "":
				assert.NoError(t, err)
			case strings.HasPrefix(tt.wantErr, "images: "):
				assert.EqualError(t, err, tt.wantErr)
			default:
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
		})
	}
}

func TestDefaultDirectory(t *testing.T) {
	project, err := filepath.Abs("../..")
	require.NoError(t, err)
	assert.Equal(t, project, sourceRoot(), "sourceRoot()")

	// Without the source on disk, the nearest go.mod above the working
	// directory.
	other := t.TempDir()
	require.NoError(t, writeFile(filepath.Join(other, "go.mod"), "module example.com/m\n"))
	require.NoError(t, os.MkdirAll(filepath.Join(other, "infra", "cmd"), 0o755))
	t.Chdir(filepath.Join(other, "infra", "cmd"))
	got, err := workingRoot()
	require.NoError(t, err)
	wantOther, err := filepath.EvalSymlinks(other)
	require.NoError(t, err)
	gotReal, err := filepath.EvalSymlinks(got)
	require.NoError(t, err)
	assert.Equal(t, wantOther, gotReal, "workingRoot() in a subdirectory")
}

func TestEntrypoint(t *testing.T) {
	for _, job := range []string{"preprocess", "train", "evaluate", "infer"} {
		want := []string{"/usr/local/bin/" + job}
		assert.Equal(t, want, buildImage.Entrypoint(job), "Entrypoint(%q)", job)
		assert.Equal(t, want, uriImage.Entrypoint(job), "Entrypoint(%q) of a brought image", job)
	}
	for _, job := range []string{"", "Train", "serve", "/usr/local/bin/train"} {
		assert.PanicsWithValue(t, fmt.Sprintf("images: job %q is unknown; valid: preprocess, train, evaluate, infer", job),
			func() { buildImage.Entrypoint(job) }, "Entrypoint(%q)", job)
	}
}

// TestDockerfileBuildsEveryJob keeps the Dockerfile and Entrypoint in step:
// every job the construct knows is built and installed where it points.
func TestDockerfileBuildsEveryJob(t *testing.T) {
	text, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	df := string(text)
	for _, job := range jobs {
		assert.Contains(t, df, " ./jobs/"+job, "Dockerfile must build job %q", job)
	}
	for _, want := range []string{
		"FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build",
		"COPY go.mod go.sum ./\nCOPY jobs/ jobs/\n",
		"--mount=type=cache,target=/go/pkg/mod",
		`CGO_ENABLED=0`,
		`go build -trimpath -ldflags="-s -w" -o /out/`,
		"FROM gcr.io/distroless/static-debian12\n",
		"COPY --from=build /out/ " + binDir + "\n",
		// SageMaker mounts /opt/ml owned by root: a non-root job could not
		// write its outputs there.
		"USER root:root\n",
	} {
		assert.Contains(t, df, want)
	}
	assert.NotContains(t, df, "nonroot", "the jobs run as root, as SageMaker's own images do")
	assert.NotContains(t, df, "ENTRYPOINT [", "no default entrypoint: every job names its binary")
	assert.NotContains(t, df, "\nCMD", "no default command")
}

func TestBuildIsStagedWithoutDocker(t *testing.T) {
	assert.NoFileExists(t, dockerCalls, "synthesis ran docker")

	// The asset is in the assembly's asset manifest, to be built and
	// published at deploy time: synthesis ran no Docker.
	manifest := readAssetManifest(t, "Build")
	require.Len(t, manifest.DockerImages, 1, "docker image assets of stack Build")
	asset, ok := manifest.DockerImages[buildAssetHash]
	require.True(t, ok, "asset manifest has no image %s", buildAssetHash)
	assert.Equal(t, "asset."+buildAssetHash, asset.Source.Directory)
	assert.Equal(t, dockerfile, asset.Source.DockerFile)
	assert.Equal(t, "linux/amd64", asset.Source.Platform)

	// The template refers to the image the asset publishes.
	buildTemplate.HasOutput(jsii.String("ImageUri"), map[string]any{
		"Value": map[string]any{"Fn::Sub": assertions.Match_StringLikeRegexp(jsii.String(":" + buildAssetHash + "$"))},
	})
}

func TestBuildContextHoldsOnlyWhatTheImageNeeds(t *testing.T) {
	staged := filepath.Join(outdir, "asset."+buildAssetHash)
	var files []string
	require.NoError(t, filepath.WalkDir(staged, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(staged, path)
		files = append(files, filepath.ToSlash(rel))
		return err
	}))
	require.NotEmpty(t, files)
	for _, f := range files {
		ok := f == "go.mod" || f == "go.sum" || f == dockerfile ||
			((strings.HasPrefix(f, "jobs/") || strings.HasPrefix(f, "internal/sagemaker/")) &&
				!strings.HasSuffix(f, "_test.go") && !strings.Contains(f, "/testdata/") && !strings.HasSuffix(f, ".md"))
		assert.True(t, ok, "build context holds %s", f)
	}
	for _, want := range []string{"go.mod", "go.sum", dockerfile, "jobs/preprocess/main.go", "jobs/train/main.go", "jobs/evaluate/main.go", "jobs/infer/main.go", "internal/sagemaker/paths.go"} {
		assert.Contains(t, files, want)
	}
}

// TestBuildContextCompiles runs the Dockerfile's build on the staged
// context, so that a context missing a file fails here and not at deploy.
func TestBuildContextCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the four jobs")
	}
	out := t.TempDir()
	args := []string{"build", "-o", out + string(filepath.Separator)}
	for _, job := range jobs {
		args = append(args, "./jobs/"+job)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(outdir, "asset."+buildAssetHash)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly")
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s in the staged context:\n%s", strings.Join(args, " "), output)
	for _, job := range jobs {
		assert.FileExists(t, filepath.Join(out, job))
	}
}

func TestAssetHashFollowsOnlyWhatTheImageIsBuiltFrom(t *testing.T) {
	base := hashes["base"]
	require.NotEmpty(t, base)
	for _, c := range hashCases {
		t.Run(c.name, func(t *testing.T) {
			if c.changes {
				assert.NotEqual(t, base, hashes[c.name], "changing %s must change the asset hash", c.file)
			} else {
				assert.Equal(t, base, hashes[c.name], "changing %s must not change the asset hash", c.file)
			}
		})
	}
}

func TestBroughtImagesBuildNothing(t *testing.T) {
	for _, stack := range []string{"Repo", "Uri"} {
		assert.Empty(t, readAssetManifest(t, stack).DockerImages, "docker image assets of stack %s", stack)
	}
	repoTemplate.HasOutput(jsii.String("ImageUri"), map[string]any{
		"Value": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{"/" + repoName + ":v1.4.2"})}},
	})
	uriTemplate.HasOutput(jsii.String("ImageUri"), map[string]any{"Value": byoURI})
	assert.Nil(t, uriImage.Repository(), "Repository() of an image brought by URI")
}

func TestGrantPull(t *testing.T) {
	assetRepo := `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":ecr:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":repository/",{"Fn::Sub":"cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}"}]]}`
	teamRepo := `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":ecr:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":repository/team/jobs"]]}`
	pull := func(repo string) []string {
		return []string{
			"Allow ecr:BatchCheckLayerAvailability on " + repo,
			"Allow ecr:BatchGetImage on " + repo,
			`Allow ecr:GetAuthorizationToken on "*"`,
			"Allow ecr:GetDownloadUrlForLayer on " + repo,
		}
	}
	tests := []struct {
		name     string
		template assertions.Template
		want     []string
	}{
		{"asset", buildTemplate, pull(assetRepo)},
		{"brought repository", repoTemplate, pull(teamRepo)},
		{"brought URI", uriTemplate, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, iamtest.Distinct(iamtest.Permissions(t, tt.template, "")), "permissions of GrantPull")
		})
	}
}

// assetManifest is the part of a stack's asset manifest the tests read.
type assetManifest struct {
	DockerImages map[string]struct {
		Source struct {
			Directory  string `json:"directory"`
			DockerFile string `json:"dockerFile"`
			Platform   string `json:"platform"`
		} `json:"source"`
	} `json:"dockerImages"`
}

func readAssetManifest(t *testing.T, stack string) assetManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(outdir, stack+".assets.json"))
	require.NoError(t, err)
	var m assetManifest
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}
