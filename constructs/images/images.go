// Package images defines the pipeline's job image: one container image that
// holds the four job binaries (preprocess, train, evaluate, infer), built
// from the bundled Dockerfile as a CDK image asset, or brought from ECR or
// any registry.
//
// Synthesis only stages the build context into the cloud assembly; Docker
// is needed only when the asset is published (cdk deploy), never at synth
// or test time.
package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// dockerfile is the path of the bundled Dockerfile, relative to the build
// context (the project root).
const dockerfile = "constructs/images/Dockerfile"

// binDir is where the Dockerfile installs the job binaries.
const binDir = "/usr/local/bin/"

// jobs are the job binaries of the image, in pipeline order.
var jobs = []string{"preprocess", "train", "evaluate", "infer"}

// buildContext selects what of the project root the image build sees, in
// .dockerignore syntax: everything is excluded, then what the Dockerfile
// copies is let back in, without tests and docs. The asset hash covers
// exactly these files, so an unrelated change (README, cdk.json, infra,
// test data) neither changes the hash nor rebuilds the image.
var buildContext = []string{
	"*",
	"!go.mod",
	"!go.sum",
	"!jobs",
	"!internal/sagemaker",
	"!" + dockerfile,
	"**/*_test.go",
	"**/testdata",
	"**/*.md",
}

// tagPattern is Docker's tag grammar; digestPattern a sha256 image digest.
var (
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// maxImageURI is the longest image URI SageMaker accepts (AppSpecification
// ImageUri and AlgorithmSpecification TrainingImage).
const maxImageURI = 255

// JobImageProps configures JobImage. The zero value builds the bundled
// Dockerfile from the project root.
type JobImageProps struct {
	// Directory is the build context: the project root holding go.mod,
	// jobs/ and constructs/images/Dockerfile. Only used when building.
	// Default: the root of the module whose source this package is
	// compiled from (this project, also when imported by another one);
	// when that source is not on disk (a -trimpath build), the nearest
	// directory at or above the working directory that holds go.mod.
	Directory string
	// Repository holds an image that already exists in ECR, used instead of
	// building one; Tag selects it. The image must hold the job binaries in
	// /usr/local/bin, as the bundled Dockerfile builds them.
	// Default: build the bundled Dockerfile as a CDK image asset.
	Repository awsecr.IRepository
	// Tag is the image tag (such as "v1.4.2") or digest ("sha256:...") in
	// Repository. Required with Repository; there is no default, so that a
	// deployment never silently follows a moving "latest".
	Tag string
	// ImageUri uses any image by URI, such as one in another registry or
	// pinned by digest. It must name a tag or digest, and the image must
	// hold the job binaries as a Repository image does. Exclusive with
	// Repository; pull rights are then the caller's to grant.
	// Default: build the bundled Dockerfile as a CDK image asset.
	ImageUri string
}

// validate reports the first prop that NewJobImage cannot honour.
func (p *JobImageProps) validate() error {
	switch {
	case p.Repository != nil && p.ImageUri != "":
		return fmt.Errorf("images: repository and image URI %q are both set; valid: one of them, or neither to build the bundled Dockerfile", p.ImageUri)
	case p.Tag != "" && p.Repository == nil:
		return fmt.Errorf("images: tag %q is set without a repository; valid: a tag only together with a repository (for any other image, put the tag in the image URI)", p.Tag)
	case p.Repository != nil && p.Tag == "":
		return errors.New(`images: repository is set without a tag; valid: the image's tag (such as "v1.4.2") or digest ("sha256:...")`)
	case p.Directory != "" && (p.Repository != nil || p.ImageUri != ""):
		return fmt.Errorf("images: directory %q is set for a brought image; valid: a directory only when building the bundled Dockerfile", p.Directory)
	}
	if p.Repository != nil && !unresolved(p.Tag) && !tagPattern.MatchString(p.Tag) && !digestPattern.MatchString(p.Tag) {
		return fmt.Errorf(`images: tag %q is invalid; valid: a Docker tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-") or a digest "sha256:<64 hex digits>"`, p.Tag)
	}
	if p.ImageUri != "" && !unresolved(p.ImageUri) {
		if err := checkImageURI(p.ImageUri); err != nil {
			return err
		}
	}
	if p.Directory != "" {
		return checkBuildContext(p.Directory)
	}
	return nil
}

// checkImageURI accepts what SageMaker runs: registry/repository:tag or
// registry/repository@digest, at most 255 characters.
func checkImageURI(uri string) error {
	if len(uri) > maxImageURI || strings.ContainsAny(uri, " \t\r\n") {
		return fmt.Errorf("images: image URI %q is invalid; valid: at most %d characters without whitespace", uri, maxImageURI)
	}
	name := uri[strings.LastIndex(uri, "/")+1:]
	if !strings.Contains(name, ":") && !strings.Contains(name, "@") {
		return fmt.Errorf("images: image URI %q names no tag or digest; valid: a pinned image, such as %q", uri, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs:v1.4.2")
	}
	return nil
}

// checkBuildContext reports a directory the bundled Dockerfile cannot build
// from.
func checkBuildContext(dir string) error {
	for _, name := range []string{"go.mod", dockerfile} {
		if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.IsDir() {
			return fmt.Errorf("images: directory %q has no %s; valid: the project root, which holds go.mod, jobs/ and %s", dir, name, dockerfile)
		}
	}
	return nil
}

// defaultDirectory returns the project root: the module root of this
// file's source, else the nearest directory at or above the working
// directory that holds go.mod.
func defaultDirectory() (string, error) {
	if root := sourceRoot(); root != "" {
		return root, nil
	}
	return workingRoot()
}

// sourceRoot returns the root of the module this file was compiled from,
// or "" when its source is not on disk. It does not depend on the working
// directory, which the CDK CLI or a test may have set anywhere, and it
// finds this project's jobs also when another module imports the package.
func sourceRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	root := filepath.Join(filepath.Dir(file), "..", "..") // constructs/images/images.go
	if checkBuildContext(root) != nil {
		return ""
	}
	return filepath.Clean(root)
}

// workingRoot returns the nearest directory at or above the working
// directory that holds go.mod.
func workingRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("images: no directory given and the working directory is unknown: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("images: no directory given and no go.mod at or above %q; valid: run from the project root, or set Directory to it", wd)
		}
	}
}

func unresolved(s string) bool { return *awscdk.Token_IsUnresolved(jsii.String(s)) }

// JobImage is the container image that every job of the pipeline runs.
type JobImage interface {
	constructs.Construct
	// ImageUri returns the image's URI, for job definitions.
	ImageUri() *string
	// Repository returns the ECR repository that holds the image, to grant
	// pulls, or nil for an image brought by URI.
	Repository() awsecr.IRepository
	// Entrypoint returns the container entrypoint that runs job, such as
	// ["/usr/local/bin/train"]. It panics on a job other than preprocess,
	// train, evaluate and infer.
	Entrypoint(job string) []string
	// GrantPull lets grantee pull the image from its ECR repository. It
	// grants nothing for an image brought by URI.
	GrantPull(grantee awsiam.IGrantable) awsiam.Grant
}

type jobImage struct {
	constructs.Construct
	uri   *string
	repo  awsecr.IRepository
	asset awsecrassets.DockerImageAsset // nil for a brought image
}

// NewJobImage defines the job image: a CDK image asset built from the
// bundled Dockerfile, or a reference to the brought image. It panics when
// props are invalid, as CDK constructs do.
func NewJobImage(scope constructs.Construct, id string, props *JobImageProps) JobImage {
	if props == nil {
		props = &JobImageProps{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	this := constructs.NewConstruct(scope, &id)
	img := &jobImage{Construct: this}
	switch {
	case props.Repository != nil:
		img.repo = props.Repository
		img.uri = props.Repository.RepositoryUriForTagOrDigest(jsii.String(props.Tag))
	case props.ImageUri != "":
		img.uri = jsii.String(props.ImageUri)
	default:
		dir, err := buildDirectory(props.Directory)
		if err != nil {
			panic(err)
		}
		img.asset = awsecrassets.NewDockerImageAsset(this, jsii.String("Resource"), &awsecrassets.DockerImageAssetProps{
			Directory:  jsii.String(dir),
			File:       jsii.String(dockerfile),
			Exclude:    jsii.Strings(buildContext...),
			IgnoreMode: awscdk.IgnoreMode_DOCKER,
			// SageMaker training and processing instances are x86-64; an
			// image built on an arm64 laptop would not start there.
			Platform: awsecrassets.Platform_LINUX_AMD64(),
		})
		img.repo = img.asset.Repository()
		img.uri = img.asset.ImageUri()
	}
	return img
}

// buildDirectory returns the absolute build context: dir, or the default
// directory when dir is empty.
func buildDirectory(dir string) (string, error) {
	if dir == "" {
		root, err := defaultDirectory()
		if err != nil {
			return "", err
		}
		dir = root
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("images: directory %q: %w", dir, err)
	}
	return abs, checkBuildContext(abs)
}

func (i *jobImage) ImageUri() *string              { return i.uri }
func (i *jobImage) Repository() awsecr.IRepository { return i.repo }

func (i *jobImage) Entrypoint(job string) []string {
	for _, j := range jobs {
		if j == job {
			return []string{binDir + job}
		}
	}
	panic(fmt.Sprintf("images: job %q is unknown; valid: %s", job, strings.Join(jobs, ", ")))
}

func (i *jobImage) GrantPull(grantee awsiam.IGrantable) awsiam.Grant {
	if i.repo == nil {
		return awsiam.Grant_Drop(grantee, jsii.String("pull "+*i.uri))
	}
	return i.repo.GrantPull(grantee)
}
