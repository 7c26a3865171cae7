# SPDX-License-Identifier: MIT
# bash completion for tracetape: commands, each command's options (asked of tracetape itself:
# `tracetape help --options`, so they are always the installed binary's), record's presets,
# the probes of a binary after `usdt:PATH:` or `go:PATH:`, and tapes and databases as files.

_tracetape_probes()
{
	# usdt:PATH:PREFIX -> usdt:PATH:provider:name for every probe of PATH
	local kind=${1%%:*} rest=${1#*:} path
	path=${rest%%:*}
	[[ -f $path ]] || return
	case $kind in
	usdt)
		COMPREPLY=($(compgen -W "$(tracetape list "$path" 2>/dev/null |
			awk -v p="usdt:$path:" 'NR > 2 && NF { print p $1 }')" -- "$1"))
		;;
	esac
}

_tracetape()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=${COMP_WORDS[1]}
	local IFS=$'\n'

	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "$(tracetape --help 2>/dev/null |
			awk '/^Commands:/ { on = 1; next } on && /^  / { print $1 } /^$/ { on = 0 }')
help" -- "$cur"))
		return
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$(tracetape help --options 2>/dev/null | cut -f1 | sort -u)" -- "$cur"))
		return
	fi
	case $prev in
	--preset)
		COMPREPLY=($(compgen -W "$(tracetape list --presets 2>/dev/null |
			awk -F: '/^[a-z][a-z0-9-]*: / { print $1 }')" -- "$cur"))
		return
		;;
	-o | --output | --schema | --html)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	case $cur in
	-*)
		COMPREPLY=($(compgen -W "$(tracetape help --options "$cmd" 2>/dev/null |
			awk -F'\t' '{ print $3; if ($2 != "") print $2 }')" -- "$cur"))
		;;
	usdt:*:*)
		_tracetape_probes "$cur"
		;;
	usdt:* | uprobe:* | go:*)
		# the path part: files
		local kind=${cur%%:*}
		COMPREPLY=($(compgen -f -- "${cur#*:}" | sed "s|^|$kind:|"))
		compopt -o nospace 2>/dev/null
		;;
	*)
		case $cmd in
		record) COMPREPLY=($(compgen -W "usdt: uprobe: go: tracepoint:" -- "$cur"))
			compopt -o nospace 2>/dev/null ;;
		*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
		;;
	esac
}

complete -F _tracetape tracetape
