/*
 * write.c - put a fetched file set on disk safely.
 *
 * Names from the wire are bare base names or the whole set is refused.
 * The set is first written into a private temporary folder inside the
 * target (same file system), each file fsync'd; only when every file is
 * complete are they renamed into place, so a failure (full disk, bad name,
 * a signal) leaves the target exactly as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "internal.h"

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool _utf8_ok(const unsigned char *s)
{
	while (*s) {
		unsigned char c = *s;
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

bool straw_name_ok(const char *name)
{
	size_t n;

	if (!name || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	n = strlen(name);
	if (n > NAME_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return _utf8_ok((const unsigned char *)name);
}

int straw_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int straw_write_files_at(int dirfd, const straw_config *cfg, straw_error *err)
{
	for (size_t i = 0; i < cfg->nfiles; i++)
		if (!straw_name_ok(cfg->files[i].name))
			return straw_seterr(err, STRAW_ERR_PROTOCOL,
					    "refused the configuration: entry %zu is not a plain file name",
					    i + 1);
	for (size_t i = 0; i < cfg->nfiles; i++) {
		const straw_file *f = &cfg->files[i];
		mode_t mode = f->execute ? 0755 : 0644;
		int fd;

		if (!f->exists)
			continue;
		fd = openat(dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0)
			return straw_seterr(err, STRAW_ERR_WRITE, "cannot create %s: %s", f->name,
					    strerror(errno));
		if ((f->content && straw_write_all(fd, f->content, f->content_len) < 0) ||
		    fchmod(fd, mode) < 0 || fsync(fd) < 0) {
			int e = errno;

			close(fd);
			return straw_seterr(err, STRAW_ERR_WRITE, "cannot write %s: %s", f->name,
					    strerror(e));
		}
		if (close(fd) < 0)
			return straw_seterr(err, STRAW_ERR_WRITE, "cannot write %s: %s", f->name,
					    strerror(errno));
	}
	return STRAW_OK;
}

void straw_remove_tree_at(int parentfd, const char *name)
{
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0) {
		unlinkat(parentfd, name, 0);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(parentfd, name, AT_REMOVEDIR);
}

/* mkdir -p, for the CLI's -o. */
static int _mkdirs(const char *dir, straw_error *err)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return straw_seterr(err, STRAW_ERR_USAGE, "output folder name is empty or too long");
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return straw_seterr(err, STRAW_ERR_WRITE, "cannot create folder %s: %s", path,
					    strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot create folder %s: %s", path,
				    strerror(errno));
	return STRAW_OK;
}

/* A new private folder next to the files it will replace. */
static int _mktemp_dir(int dfd, char *name, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct timespec ts;

	for (int tries = 0; tries < 100; tries++) {
		unsigned long x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^ (unsigned long)tries * 7919;
		snprintf(name, len, ".straw-tmp-");
		for (size_t i = strlen(name); i < 19 && i + 1 < len; i++) {
			name[i] = set[x % (sizeof(set) - 1)];
			name[i + 1] = '\0';
			x = x / (sizeof(set) - 1) + (unsigned long)ts.tv_sec * 31 + i;
		}
		if (mkdirat(dfd, name, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

STRAW_EXPORT int straw_write_dir(const straw_config *cfg, const char *dir, straw_error *err)
{
	char tmp[32];
	int dfd, tfd, rc;

	for (size_t i = 0; i < cfg->nfiles; i++)
		if (!straw_name_ok(cfg->files[i].name))
			return straw_seterr(err, STRAW_ERR_PROTOCOL,
					    "refused the configuration: entry %zu is not a plain file name "
					    "(nothing was written)", i + 1);
	rc = _mkdirs(dir, err);
	if (rc)
		return rc;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return straw_seterr(err, STRAW_ERR_WRITE, "cannot open folder %s: %s", dir,
				    strerror(errno));
	if (_mktemp_dir(dfd, tmp, sizeof(tmp)) < 0) {
		rc = straw_seterr(err, STRAW_ERR_WRITE, "cannot write into %s: %s", dir,
				  strerror(errno));
		close(dfd);
		return rc;
	}
	tfd = openat(dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0) {
		rc = straw_seterr(err, STRAW_ERR_WRITE, "cannot write into %s: %s", dir,
				  strerror(errno));
		goto out;
	}
	rc = straw_write_files_at(tfd, cfg, err);
	if (rc) {
		char inner[STRAW_ERRLEN];

		snprintf(inner, sizeof(inner), "%s", err ? err->msg : "");
		rc = straw_seterr(err, rc, "%s: %s (nothing was changed)", dir, inner);
		goto out;
	}
	/* A folder in the way would stop the renames half-way: refuse before the first. */
	for (size_t i = 0; i < cfg->nfiles; i++) {
		const straw_file *f = &cfg->files[i];
		struct stat st;

		if (f->exists && fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			rc = straw_seterr(err, STRAW_ERR_WRITE,
					  "%s/%s is a folder: move it away (nothing was changed)", dir,
					  f->name);
			goto out;
		}
	}
	/* Every file is complete: publish them, then drop what the controller no longer has. */
	for (size_t i = 0; i < cfg->nfiles; i++) {
		const straw_file *f = &cfg->files[i];

		if (f->exists && renameat(tfd, f->name, dfd, f->name) < 0) {
			rc = straw_seterr(err, STRAW_ERR_WRITE, "cannot move %s into %s: %s", f->name,
					  dir, strerror(errno));
			goto out;
		}
	}
	for (size_t i = 0; i < cfg->nfiles; i++) {
		const straw_file *f = &cfg->files[i];
		struct stat st;

		if (!f->exists && fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			unlinkat(dfd, f->name, 0);
	}
	fsync(dfd);
out:
	if (tfd >= 0)
		close(tfd);
	straw_remove_tree_at(dfd, tmp);
	close(dfd);
	return rc;
}
