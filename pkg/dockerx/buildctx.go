package dockerx

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// outsideDockerfile is the name a Dockerfile that lies outside the context
// gets inside the context tar, where the classic builder looks for it.
const outsideDockerfile = ".roll-dockerfile"

// contextTar streams the build context as the docker CLI sends it: the
// directory minus its .dockerignore matches, owned by root, with the
// Dockerfile always included. It returns the Dockerfile's name in the tar.
func contextTar(dir, dockerfile string) (io.ReadCloser, string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", fmt.Errorf("resolving build context %s: %w", dir, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, "", fmt.Errorf("reading build context %s: not a directory", dir)
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	dfPath := dockerfile
	if !filepath.IsAbs(dfPath) {
		dfPath = filepath.Join(dir, dockerfile)
	}
	if _, err := os.Stat(dfPath); err != nil {
		return nil, "", fmt.Errorf("reading Dockerfile %s: %w", dfPath, err)
	}
	matcher, err := ignoreMatcher(dir)
	if err != nil {
		return nil, "", err
	}
	dfName, err := filepath.Rel(dir, dfPath)
	outside := err != nil || strings.HasPrefix(dfName, "..")
	if outside {
		dfName = outsideDockerfile
	}
	dfName = filepath.ToSlash(dfName)

	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := addTree(tw, dir, matcher, dfName)
		if err == nil && outside {
			err = addFile(tw, dfPath, outsideDockerfile)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, dfName, nil
}

// ignoreMatcher reads the context's .dockerignore, if it has one.
func ignoreMatcher(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return patternmatcher.New(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	return pm, nil
}

// addTree adds dir's files to the tar, skipping ignored ones but never the
// Dockerfile or the .dockerignore, which the builder reads.
func addTree(tw *tar.Writer, dir string, matcher *patternmatcher.PatternMatcher, dockerfile string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading build context: %w", err)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		name := filepath.ToSlash(rel)
		if name != dockerfile && name != ".dockerignore" {
			ignored, err := matcher.MatchesOrParentMatches(name)
			if err != nil {
				return fmt.Errorf("matching %s against .dockerignore: %w", name, err)
			}
			if ignored {
				if d.IsDir() && !matcher.Exclusions() {
					return filepath.SkipDir // nothing below can be re-included
				}
				return nil
			}
		}
		return addFile(tw, path, name)
	})
}

// addFile adds one file, directory or symlink under name, owned by root as
// the docker CLI sends it.
func addFile(tw *tar.Writer, path, name string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("reading build context: %w", err)
	}
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(path); err != nil {
			return fmt.Errorf("reading build context: %w", err)
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("adding %s to the build context: %w", name, err)
	}
	hdr.Name = name
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	hdr.Mode = tarMode(hdr.Mode)
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("adding %s to the build context: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading build context: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("adding %s to the build context: %w", name, err)
	}
	return nil
}
