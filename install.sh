#!/bin/sh
# Installs the Berth agent on a Debian or Ubuntu server and joins it to a controller:
#
#   curl -fsSLk --pinnedpubkey 'sha256//PIN' https://CONTROLLER:7600/install.sh | sh -s -- --token TOKEN
#
# Docker (from the distribution, when missing), the agent bundle (Node included), its data
# dir, config and keys, and the systemd units. Rerun to upgrade in place; --uninstall to
# remove. Guide: docs/install.md (also /usr/local/lib/berth/share/doc/install.md).
set -eu

# Filled in by the controller when it serves this script (GET /install.sh); empty in the repo.
RENDERED_CONTROLLER_URL=''
RENDERED_CONTROLLER_FINGERPRINT=''

usage() {
	cat <<'EOF'
Usage: install.sh --token TOKEN [options]        join a controller (pull mode)
       install.sh --bundle FILE --name NAME --trust-release-key K [--trust-operator-key K] [options]
                                                 a local agent, no controller (direct mode)
       install.sh                                upgrade an installed agent in place
       install.sh --uninstall [--purge]          remove units and binaries (--purge: data too)

Options:
  --token TOKEN            join token from `berth hosts add NAME`
  --controller URL         controller to download the agent from (default: the token's)
  --fingerprint SHA256     its certificate fingerprint, sha256:HEX (default: the token's)
  --bundle FILE            install this bundle instead of downloading one
  --sha256 HEX             its expected SHA-256 (default: the first word of FILE.sha256)
  --name NAME              agent name (local agent only)
  --trust-release-key K    release key to trust, ed25519:… (local agent; repeatable)
  --trust-operator-key K   operator key to trust, ed25519:… (local agent; repeatable)
  --data-dir DIR           state, keys and config (default: /var/lib/berth)
  --api-host HOST          agent API address (default: 127.0.0.1 joined, 0.0.0.0 local)
  --api-port PORT          agent API port (default: 7443)
  --http-port PORT         port the proxy serves apps on (default: 80)
  --https-port PORT        port the proxy serves apps on over TLS (default: 443; 0: no HTTPS)
  --docker-network NAME    Docker network for app containers (default: berth)
  --skip-docker            do not install Docker (install it yourself first)
  --uninstall              stop and remove the units and binaries; keep the data dir
  --purge                  with --uninstall: remove the data dir too (keys, state)
  --root DIR               install under DIR instead of /, run no systemctl (images, tests)
  --os-release FILE        read FILE instead of /etc/os-release (tests)
EOF
}

fail() {
	printf 'install.sh: error: %s\n' "$1" >&2
	exit 1
}

say() {
	printf '%s\n' "$*"
}

# ---- options ------------------------------------------------------------------------------

token='' controller_url='' fingerprint='' bundle_file='' bundle_sha256='' agent_name=''
release_keys='' operator_keys='' data_dir_opt='' api_host='' api_port='' http_port=''
https_port='' docker_network='' skip_docker=no uninstall=no purge=no root='' os_release=/etc/os-release

while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--skip-docker) skip_docker=yes; shift; continue ;;
	--uninstall) uninstall=yes; shift; continue ;;
	--purge) purge=yes; shift; continue ;;
	--token | --controller | --fingerprint | --bundle | --sha256 | --name | --trust-release-key | \
		--trust-operator-key | --data-dir | --api-host | --api-port | --http-port | --https-port | \
		--docker-network | --root | --os-release)
		[ "$#" -ge 2 ] || fail "$1 needs a value (see --help)" ;;
	*) fail "unknown option $1 (see --help)" ;;
	esac
	case "$1" in
	--token) token=$2 ;;
	--controller) controller_url=$2 ;;
	--fingerprint) fingerprint=$2 ;;
	--bundle) bundle_file=$2 ;;
	--sha256) bundle_sha256=$2 ;;
	--name) agent_name=$2 ;;
	--trust-release-key) release_keys="$release_keys $2" ;;
	--trust-operator-key) operator_keys="$operator_keys $2" ;;
	--data-dir) data_dir_opt=$2 ;;
	--api-host) api_host=$2 ;;
	--api-port) api_port=$2 ;;
	--http-port) http_port=$2 ;;
	--https-port) https_port=$2 ;;
	--docker-network) docker_network=$2 ;;
	--root) root=$2 ;;
	--os-release) os_release=$2 ;;
	esac
	shift 2
done

matches() { # matches VALUE EXTENDED_REGEX
	printf '%s\n' "$1" | grep -Eqx -- "$2"
}

check_option() { # check_option NAME VALUE REGEX WHAT
	[ -z "$2" ] || matches "$2" "$3" || fail "$1 must be $4, got \"$2\""
}

check_port() { # check_port NAME VALUE
	check_option "$1" "$2" '[0-9]{1,5}' 'a port number'
	[ -z "$2" ] || [ "$2" -le 65535 ] || fail "$1 must be a port number up to 65535, got \"$2\""
}

check_option --token "$token" 'berth-join-1\.[A-Za-z0-9_-]+' 'the whole token "berth hosts add NAME" printed (berth-join-1.…)'
check_option --controller "$controller_url" 'https://[]A-Za-z0-9.:[-]+' 'an https://HOST:PORT URL'
check_option --fingerprint "$fingerprint" 'sha256:[0-9a-f]{64}' 'sha256: and 64 hex digits'
check_option --sha256 "$bundle_sha256" '[0-9a-f]{64}' '64 hex digits'
check_option --name "$agent_name" '[A-Za-z0-9._-]+' 'letters, digits, ".", "_" or "-"'
for key in $release_keys $operator_keys; do
	check_option --trust-key "$key" 'ed25519:[A-Za-z0-9_-]+' 'ed25519:BASE64URL'
done
check_option --data-dir "$data_dir_opt" '/[A-Za-z0-9._/-]*' 'an absolute path'
check_option --api-host "$api_host" '[A-Za-z0-9.:-]+' 'an address'
check_port --api-port "$api_port"
check_port --http-port "$http_port"
check_port --https-port "$https_port"
check_option --docker-network "$docker_network" '[A-Za-z0-9._-]+' 'a Docker network name'
check_option --root "$root" '/[A-Za-z0-9._/-]*' 'an absolute path'
[ "$purge" = no ] || [ "$uninstall" = yes ] || fail '--purge goes with --uninstall'
for path in "$data_dir_opt" "$root"; do
	case "$path/" in */../* | */./*) fail "paths must not contain . or .. parts, got \"$path\"" ;; esac
done
if [ -n "$data_dir_opt" ]; then
	case "${data_dir_opt%/}" in
	'' | /bin | /boot | /dev | /etc | /home | /lib | /proc | /root | /run | /sys | /usr | /var | /var/lib)
		fail "--data-dir $data_dir_opt is a system folder: pick one of its own, like /var/lib/berth" ;;
	esac
fi

# ---- where things go ----------------------------------------------------------------------
# Paths as the running system sees them (units, config) and as this script writes them.

root=${root%/}
data_dir=${data_dir_opt:-/var/lib/berth}
lib_path=/usr/local/lib/berth
lib_dir=$root$lib_path
link_path=$root/usr/local/bin/berth-agent
unit_dir=$root/etc/systemd/system
data_path=$root$data_dir
config_file=$data_path/agent.yml

systemd_live=no
if [ -z "$root" ] && [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
	systemd_live=yes
fi

# Changes to the running system (services, packages): done only when installing into / with
# systemd as PID 1; otherwise printed, so the operator sees what remains to do.
system() {
	if [ "$systemd_live" = yes ] || { [ -z "$root" ] && [ "$1" != systemctl ]; }; then
		"$@" </dev/null
	else
		say "  (skipped) $*"
	fi
}

# ---- cleanup: nothing half-installed ------------------------------------------------------

work_dir='' staging='' created_dirs='' committed=no

cleanup() {
	[ -z "$work_dir" ] || rm -rf "$work_dir"
	if [ "$committed" = no ]; then
		[ -z "$staging" ] || rm -rf "$staging"
		for dir in $created_dirs; do rmdir "$dir" 2>/dev/null || true; done
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE

# Creates DIR and its missing parents, remembering them (deepest first) for cleanup.
make_dir() {
	dir=$1 missing=''
	while [ ! -d "$dir" ]; do
		missing="$dir $missing"
		dir=$(dirname "$dir")
	done
	for dir in $missing; do
		mkdir -m 755 "$dir"
		created_dirs="$dir $created_dirs"
	done
}

# Every unit this script installs, in start order.
all_units='berth-proxy.socket berth-proxy-https.socket berth-proxy.service berth-agent.service'
units=$all_units

# Runs COMMAND… UNIT for each unit installed, in start order.
each_unit() {
	for unit in $units; do "$@" "$unit"; done
}

remove_unit() {
	rm -f "$unit_dir/$1"
}

# ---- uninstall ----------------------------------------------------------------------------

if [ "$uninstall" = yes ]; then
	[ -n "$root" ] || [ "$(id -u)" = 0 ] || fail 'run as root: sudo sh install.sh --uninstall'
	say "Removing the Berth agent${root:+ from $root}"
	each_unit system systemctl disable --now || true
	each_unit remove_unit
	system systemctl daemon-reload || true
	rm -rf "$lib_dir" "$link_path"
	if [ "$purge" = yes ]; then
		rm -rf "$data_path"
		say "Removed units, binaries and $data_path."
	else
		say "Removed units and binaries; kept $data_path (keys, state). Remove it with --uninstall --purge."
	fi
	say 'App containers were left running in Docker; on the controller side: berth hosts remove NAME'
	exit 0
fi

# ---- platform -----------------------------------------------------------------------------

[ -n "$root" ] || [ "$(id -u)" = 0 ] || fail 'run as root: curl … | sudo sh -s -- --token TOKEN'
[ "$(uname -s)" = Linux ] || fail "Berth servers run Linux, this is $(uname -s)"
case "$(uname -m)" in
x86_64 | amd64) arch=x64 ;;
aarch64 | arm64) arch=arm64 ;;
*) fail "no agent bundle for CPU $(uname -m): Berth builds bundles for x86_64 and aarch64" ;;
esac

os_field() { # the value of KEY in os-release, without quotes
	sed -n "s/^$1=//p" "$os_release" | tr -d '"' | head -n 1
}

if [ "$skip_docker" = no ]; then
	[ -r "$os_release" ] || fail "cannot read $os_release: install Docker yourself, then rerun with --skip-docker"
	os_id=$(os_field ID) os_like=$(os_field ID_LIKE) os_name=$(os_field PRETTY_NAME)
	case " $os_id $os_like " in
	*' debian '* | *' ubuntu '*) ;;
	*) fail "this script installs Docker on Debian and Ubuntu only, and this is ${os_name:-$os_id}: install Docker Engine yourself (https://docs.docker.com/engine/install/), then rerun with --skip-docker" ;;
	esac
fi

for tool in tar gzip sha256sum; do
	command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install $tool, then rerun"
done

# ---- what to install ----------------------------------------------------------------------

upgrade=no
[ ! -f "$config_file" ] || upgrade=yes
if [ "$upgrade" = no ] && [ -z "$token" ] && [ -z "$agent_name" ]; then
	fail "no agent in $data_path yet: pass --token TOKEN (from \`berth hosts add NAME\`), or --name NAME --trust-release-key K for a local agent"
fi
[ -z "$token" ] || [ -z "$agent_name" ] || fail 'pass --token (join a controller) or --name (local agent), not both'
[ -z "$agent_name" ] || [ -n "$release_keys" ] || fail 'a local agent needs --trust-release-key K (from "berth keys generate")'

# The token's URL and pinned fingerprint: base64url JSON written by `berth hosts add`.
token_field() {
	payload=$(printf '%s' "${token#berth-join-1.}" | tr '_-' '/+')
	case $((${#payload} % 4)) in 2) payload="$payload==" ;; 3) payload="$payload=" ;; esac
	printf '%s' "$payload" | base64 -d 2>/dev/null | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"
}

# A value of `section:` → `  key:` in the agent config (YAML as `berth-agent join` writes it).
config_field() {
	awk -v section="$1:" -v key="  $2:" '
		$0 == section { inside = 1; next }
		/^[^ ]/ { inside = 0 }
		inside && index($0, key) == 1 { sub(/^[^:]*: */, ""); print; exit }
	' "$config_file"
}

if [ -z "$bundle_file" ]; then
	if [ -n "$token" ]; then
		[ -n "$controller_url" ] || controller_url=$(token_field url)
		[ -n "$fingerprint" ] || fingerprint=$(token_field fingerprint)
		if [ -z "$controller_url" ] || [ -z "$fingerprint" ]; then
			fail 'the join token is damaged (no controller URL or fingerprint in it): copy it again, whole'
		fi
	elif [ "$upgrade" = yes ] && [ -z "$controller_url" ]; then
		controller_url=$(config_field controller url)
		fingerprint=$(config_field controller fingerprint)
	fi
	controller_url=${controller_url:-$RENDERED_CONTROLLER_URL}
	fingerprint=${fingerprint:-$RENDERED_CONTROLLER_FINGERPRINT}
	if [ -z "$controller_url" ] || [ -z "$fingerprint" ]; then
		fail 'no controller to download the agent from: pass --token TOKEN, or --controller URL --fingerprint sha256:HEX, or --bundle FILE'
	fi
	check_option 'the controller URL' "$controller_url" 'https://[]A-Za-z0-9.:[-]+' 'an https://HOST:PORT URL'
	check_option 'the fingerprint' "$fingerprint" 'sha256:[0-9a-f]{64}' 'sha256: and 64 hex digits'
	for tool in curl openssl; do
		command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install $tool, then rerun"
	done
fi

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-install.XXXXXX")

# ---- download, pinned to the controller's certificate -------------------------------------
# The fingerprint (from the token the operator copied, or from this script as the controller
# rendered it) pins the controller's certificate. openssl fetches that certificate and checks
# it against the fingerprint; curl then accepts only a server holding the same public key
# (--pinnedpubkey), so every later download comes from that controller. --insecure only turns
# off the CA check, which a self-signed certificate cannot pass; the pin is still enforced.

pin_controller() {
	hostport=${controller_url#https://}
	hostport=${hostport%%/*}
	case "$hostport" in *:*[0-9]) ;; *) hostport="$hostport:443" ;; esac
	openssl s_client -connect "$hostport" </dev/null 2>/dev/null |
		openssl x509 -outform DER >"$work_dir/controller.der" 2>/dev/null ||
		fail "cannot reach the controller at $controller_url: check the URL, and that this server can open a connection to $hostport"
	presented=sha256:$(sha256sum <"$work_dir/controller.der" | cut -c 1-64)
	[ "$presented" = "$fingerprint" ] ||
		fail "the server at $controller_url presented certificate $presented, not the pinned $fingerprint: check the URL; something may be intercepting the connection"
	public_key_pin=$(openssl x509 -inform DER -in "$work_dir/controller.der" -pubkey -noout |
		openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64)
}

fetch() { # fetch PATH FILE: GET from the pinned controller; fails on any HTTP error
	curl --fail --silent --show-error --insecure --pinnedpubkey "sha256//$public_key_pin" \
		--connect-timeout 15 --retry 2 --output "$2" "$controller_url$1"
}

if [ -z "$bundle_file" ]; then
	say "Downloading the agent for linux-$arch from $controller_url"
	pin_controller
	fetch "/bundle/latest-linux-$arch.sha256" "$work_dir/latest.sha256" 2>"$work_dir/curl.err" ||
		fail "the controller has no agent bundle for linux-$arch ($(tail -n 1 "$work_dir/curl.err")): on a linux-$arch machine run \`npm run bundle -- --out <controller data dir>/bundles\`"
	read -r bundle_sha256 bundle_name <"$work_dir/latest.sha256" || true
	if ! matches "$bundle_sha256" '[0-9a-f]{64}' || ! matches "$bundle_name" "berth-agent-[0-9A-Za-z.+-]+-linux-$arch\.tar\.gz"; then
		fail "the controller's bundle index for linux-$arch is malformed; rebuild the bundle on the controller"
	fi
	bundle_file=$work_dir/$bundle_name
	fetch "/bundle/$bundle_name" "$bundle_file" 2>"$work_dir/curl.err" ||
		fail "downloading $bundle_name failed: $(tail -n 1 "$work_dir/curl.err")"
else
	[ -r "$bundle_file" ] || fail "cannot read the bundle $bundle_file"
	if [ -z "$bundle_sha256" ]; then
		[ -r "$bundle_file.sha256" ] || fail "no checksum for $bundle_file: pass --sha256 HEX or put $bundle_file.sha256 beside it"
		read -r bundle_sha256 _ <"$bundle_file.sha256" || true
	fi
fi

actual_sha256=$(sha256sum <"$bundle_file" | cut -c 1-64)
[ "$actual_sha256" = "$bundle_sha256" ] ||
	fail "checksum mismatch for $(basename "$bundle_file"): expected $bundle_sha256, got $actual_sha256; nothing was installed. Rerun; if it persists, rebuild the bundle on the controller"

# ---- unpack next to the install, check it runs here ---------------------------------------

make_dir "$root/usr/local/lib"
staging=$root/usr/local/lib/.berth-new.$$
mkdir -m 755 "$staging"
tar -xzf "$bundle_file" -C "$staging" --no-same-owner || fail "cannot unpack $(basename "$bundle_file"): the bundle is damaged"
[ -x "$staging/bin/berth-agent" ] || fail "$(basename "$bundle_file") holds no bin/berth-agent: rebuild the bundle"
"$staging/bin/node" --version >/dev/null 2>&1 ||
	fail "the bundled Node does not run on this server (glibc 2.28 or newer needed): use a Debian 10+ or Ubuntu 20.04+ server"
version=$(cut -d ' ' -f 1 "$staging/VERSION")

# ---- Docker -------------------------------------------------------------------------------

if [ "$skip_docker" = no ] && ! command -v docker >/dev/null; then
	say 'Installing Docker (docker.io from the distribution)'
	system apt-get update -qq || fail 'apt-get update failed: check the package sources, then rerun'
	system env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io ||
		fail 'installing docker.io failed: install Docker Engine yourself, then rerun with --skip-docker'
	system systemctl enable --now docker.service || true
fi

# ---- join the controller, or set up a local agent -----------------------------------------

agent_options() { # the options join and init share, as given
	[ -z "$api_host" ] || printf ' --api-host %s' "$api_host"
	[ -z "$api_port" ] || printf ' --api-port %s' "$api_port"
	[ -z "$http_port" ] || printf ' --http-port %s' "$http_port"
	[ -z "$https_port" ] || printf ' --https-port %s' "$https_port"
	[ -z "$docker_network" ] || printf ' --docker-network %s' "$docker_network"
}

if [ "$upgrade" = yes ]; then
	say "Upgrading the agent in $data_path to $version (data dir, keys and state are kept)"
	[ -z "$token" ] || say "  $config_file exists, so --token was not used (the agent joined already)"
else
	make_dir "$(dirname "$data_path")"
	# Options are checked against narrow patterns above, so word splitting is safe here.
	if [ -n "$token" ]; then
		# shellcheck disable=SC2046
		"$staging/bin/berth-agent" join "$token" --data-dir "$data_path" $(agent_options) </dev/null ||
			fail 'joining the controller failed (the reason is above); nothing was installed'
	else
		trust=''
		for key in $release_keys; do trust="$trust --trust-release-key $key"; done
		for key in $operator_keys; do trust="$trust --trust-operator-key $key"; done
		# shellcheck disable=SC2046,SC2086
		"$staging/bin/berth-agent" init --name "$agent_name" --data-dir "$data_path" $(agent_options) $trust </dev/null ||
			fail 'setting up the agent failed (the reason is above); nothing was installed'
	fi
fi
chmod 700 "$data_path"

# ---- put it in place ----------------------------------------------------------------------
# From here on the agent is set up; a failure leaves a working install to rerun over.

committed=yes
if [ -d "$lib_dir" ]; then
	mv "$lib_dir" "$staging.old"
fi
mv "$staging" "$lib_dir"
rm -rf "$staging.old"
make_dir "$(dirname "$link_path")"
ln -sfn "$lib_path/bin/berth-agent" "$link_path"

# The agent's config is the truth for its ports: an upgrade keeps what the install chose.
listen_port=$(config_field proxy httpPort)
listen_port=${listen_port:-${http_port:-80}}
tls_port=$(config_field proxy httpsPort)
tls_port=${tls_port:-${https_port:-443}}
if [ "$upgrade" = yes ] && [ -n "$http_port$https_port$api_port$api_host$docker_network" ]; then
	say "  ports, addresses and network were set at install and are kept; to change them, edit $config_file"
fi
# proxy.httpsPort 0 turns HTTPS off: no HTTPS socket unit, no --https-port for the proxy.
https_off='' drop_https_socket=no
if [ "$tls_port" = 0 ]; then
	units=$(printf '%s\n' "$all_units" | sed 's# berth-proxy-https\.socket##')
	https_off='/^Requires=/s# berth-proxy-https\.socket##
/^After=/s# berth-proxy-https\.socket##
s# --https-port 0$##'
	[ ! -f "$unit_dir/berth-proxy-https.socket" ] || drop_https_socket=yes
fi
make_dir "$unit_dir"
for unit in $units; do
	sed -e "s#/var/lib/berth#$data_dir#g" \
		-e "s#^ListenStream=80\$#ListenStream=$listen_port#" \
		-e "s#^ListenStream=443\$#ListenStream=$tls_port#" \
		-e "s#--http-port 80 --https-port 443\$#--http-port $listen_port --https-port $tls_port#" \
		-e "$https_off" \
		"$lib_dir/share/systemd/$unit" >"$unit_dir/.$unit.new"
	chmod 644 "$unit_dir/.$unit.new"
	mv "$unit_dir/.$unit.new" "$unit_dir/$unit"
done

say 'Starting the proxy and the agent'
system systemctl daemon-reload
if [ "$drop_https_socket" = yes ]; then
	# After the reload, so the proxy no longer requires it: stopping it leaves the proxy running.
	system systemctl disable --now berth-proxy-https.socket || true
	remove_unit berth-proxy-https.socket
	system systemctl daemon-reload
fi
each_unit system systemctl enable
# shellcheck disable=SC2086 # unit names, split on purpose
system systemctl start ${units% berth-agent.service} ||
	fail "starting the proxy failed: is port $listen_port or $tls_port taken? (systemctl status berth-proxy.socket berth-proxy-https.socket). To serve without HTTPS, set proxy.httpsPort to 0 in $config_file and rerun"
if [ "$upgrade" = yes ]; then
	system systemctl restart berth-agent.service
	say "  the proxy keeps running its current version; \`systemctl restart berth-proxy\` switches it to $version (its sockets stay open)"
else
	system systemctl start berth-agent.service
fi

say "Berth agent $version installed${root:+ under $root}:"
say "  binaries   $lib_dir (berth-agent on PATH)"
say "  data       $data_path (config, keys, state)"
say "  units      $unit_dir: $units"
if [ "$tls_port" = 0 ]; then
	say "  proxy      HTTP on port $listen_port; HTTPS off (proxy.httpsPort 0)"
else
	say "  proxy      HTTP on port $listen_port, HTTPS on port $tls_port"
fi
[ "$systemd_live" = yes ] || say "  systemd is not running here: start them with the ExecStart lines of the units"
say "Logs: journalctl -u berth-agent -u berth-proxy -f"
