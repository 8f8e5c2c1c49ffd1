#!/bin/sh
# `deploy/smoke.ts` runs this as "the gateway command": the image given as the first argument,
# in a container on the host's network (the fake GigaChat listens on loopback), with the
# variables smoke.ts sets and its ca.pem from the working folder. Signals reach the gateway.
#   deno run -A deploy/smoke.ts "$(realpath deploy/container/run.sh)" gigachat-gateway:test
set -eu
image=$1
shift
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exec docker run --rm --network host \
  --read-only --cap-drop ALL --security-opt no-new-privileges:true \
  -v "$PWD/ca.pem:/etc/gigachat-gateway/ca.pem:ro" \
  -e GIGACHAT_CA_FILE=/etc/gigachat-gateway/ca.pem \
  -e GIGACHAT_API_URL -e GIGACHAT_AUTH_URL -e GIGACHAT_CREDENTIALS \
  -e HOST -e PORT -e LOG_LEVEL -e ALLOW_PRIVATE_IMAGE_URLS -e REDIS_URL \
  "$image" "$@"
