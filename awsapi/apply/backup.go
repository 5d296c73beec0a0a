package apply

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

// SaveBackup writes a bucket's policy to dir (created with mode 0700 if
// missing) in a new file named after the bucket and the time, mode 0600,
// synced to disk, and returns its path. It never overwrites a file: names
// that exist get a counter.
func SaveBackup(dir, bucket string, policy []byte) (string, error) {
	// The bucket's name is part of the file name: it must not be able to
	// lead out of dir ("../x", "a/b").
	if err := awsapi.CheckBucketName(bucket); err != nil || strings.ContainsAny(bucket, `/\`) {
		return "", fmt.Errorf("%q is not a bucket name, so no backup file is named after it", bucket)
	}
	return saveFile(dir, bucket, policy)
}

// validStem reports whether SaveNamed accepts stem as a backup file's
// stem: a letter or digit, then up to 200 letters, digits, '.', '_' or
// '-'. Checked by hand: the regular expression with {0,200} cost 2.5 ms of
// every start-up to compile.
func validStem(stem string) bool {
	if len(stem) == 0 || len(stem) > 201 {
		return false
	}
	for i := 0; i < len(stem); i++ {
		c := stem[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// SaveNamed saves the state of something other than a bucket policy (a KMS
// key policy, a bucket setting, a role's attached policies) before a write,
// as SaveBackup does: a new file in dir named after stem and the time, mode
// 0600, synced, never overwriting. The stem is letters, digits, '.', '_'
// and '-', so it cannot lead out of dir.
func SaveNamed(dir, stem string, data []byte) (string, error) {
	if !validStem(stem) || strings.Contains(stem, "..") {
		return "", fmt.Errorf("%q cannot name a backup file", stem)
	}
	return saveFile(dir, stem, data)
}

func saveFile(dir, stem string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	stamp := time.Now().UTC().Format("20060102T150405.000000000Z")
	var f *os.File
	var path string
	for n := 0; ; n++ {
		name := fmt.Sprintf("%s-%s.json", stem, stamp)
		if n > 0 {
			name = fmt.Sprintf("%s-%s-%d.json", stem, stamp, n)
		}
		path = filepath.Join(dir, name)
		if filepath.Dir(path) != filepath.Clean(dir) {
			return "", fmt.Errorf("the backup file %s would leave %s", path, dir)
		}
		var err error
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || n > 100 {
			return "", err
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}
