# postmap and postalias: one shared command driver (mapcmd), postmap's
# message-key and file-value helpers, and each command's own main.
COMMANDS += postmap postalias
POSTMAP_SHARED := postmap/mapcmd.c postmap/mapcmd_conf.c postmap/postmap_mime.c \
	postmap/postmap_file.c
postmap_SRCS := postmap/postmap.c $(POSTMAP_SHARED)
postalias_SRCS := postmap/postalias.c $(POSTMAP_SHARED)
