/**
 * Shell completion scripts, generated from the commander program itself so they never drift from
 * the real commands and flags. Connection names are the one dynamic part: the script asks
 * `mcp-auth0 completion connections`, which answers within a short timeout or says nothing.
 */
export interface CompletionSpec {
  /** `init`, `roles sync`, `credentials create`, … */
  commands: Array<{ path: string; description: string; flags: string[]; args: boolean }>;
  /** Commands that only group subcommands (`roles`, `credentials`) and their subcommand names. */
  groups: Record<string, string[]>;
  globalFlags: string[];
  /** Every flag that takes a value: its value is never taken for a command name. */
  valueFlags: string[];
  presets: string[];
  modes: string[];
  scopedCommands: string[];
}

const FILE_FLAGS = ["--roles", "--file", "--config", "--env-path", "--data-dir"];
const SHELLS = ["bash", "zsh", "fish"];

const words = (list: string[]) => list.join(" ");
const bashQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** A bash completion function; `source <(mcp-auth0 completion bash)` or save it under bash-completion's directory. */
export function bashScript(spec: CompletionSpec): string {
  const top = [...new Set(spec.commands.map((c) => c.path.split(" ")[0]!))];
  const flagCases = spec.commands.map((c) => `    ${bashQuote(c.path)}) flags=${bashQuote(words(c.flags))} ;;`).join("\n");
  const groupCases = Object.entries(spec.groups)
    .map(([group, subs]) => `    ${bashQuote(group)}) COMPREPLY=($(compgen -W ${bashQuote(words(subs))} -- "$cur")) ;;`)
    .join("\n");
  return `# mcp-auth0 completion for bash. Load it with: source <(mcp-auth0 completion bash)
_mcp_auth0_connections() {
  local line=("$@") args=() i
  # Target the tenant the command line names (--local, --data-dir, --domain); credentials come from the environment.
  for ((i = 0; i < \${#line[@]}; i++)); do
    case "\${line[i]}" in
      --local) args+=(--local) ;;
      --domain | --data-dir) args+=("\${line[i]}" "\${line[i+1]}") ;;
    esac
  done
  # Started as \`npx mcp-auth0\`, the command is not on PATH: npx runs the installed copy (--no: never
  # install anything to complete a word; --: the options that follow are mcp-auth0's, not npx's; no
  # update check on the registry).
  local run=("\${line[0]}")
  command -v "\${line[0]}" >/dev/null 2>&1 || run=(npx --no --no-update-notifier -- mcp-auth0)
  # The command gives the tenant 2 s a request; this bounds the whole lookup (Node's and npx's start
  # included, on a busy machine) so that Tab never hangs the shell.
  if command -v timeout >/dev/null 2>&1; then timeout 10 "\${run[@]}" completion connections "\${args[@]}" 2>/dev/null
  else "\${run[@]}" completion connections "\${args[@]}" 2>/dev/null; fi
}

# \`npx mcp-auth0 …\` (how the README runs it after \`npm i -D mcp-auth0\`): npx's own options are
# skipped, and the words from mcp-auth0 on are completed as mcp-auth0's command line. Anything else
# after npx gets bash's default completion (files), as it had without this function.
_mcp_auth0_npx() {
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      mcp-auth0 | mcp-auth0@*)
        COMP_WORDS=("\${COMP_WORDS[@]:i}")
        COMP_CWORD=$((COMP_CWORD - i))
        _mcp_auth0
        return ;;
      -*) ;;
      *) break ;;
    esac
  done
  # The package's name itself, as the first word that is not an option.
  if ((i == COMP_CWORD)) && [[ "\${COMP_WORDS[COMP_CWORD]}" != -* ]]; then COMPREPLY=($(compgen -W mcp-auth0 -- "\${COMP_WORDS[COMP_CWORD]}"))
  else COMPREPLY=(); fi
}

_mcp_auth0() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" w i flags=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local value_flags=" ${words(spec.valueFlags)} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ "$w" == -* ]]; then
      [[ "$value_flags" == *" $w "* ]] && ((i++))
      continue
    fi
    if [[ -z "$cmd" ]]; then cmd="$w"
    elif [[ "$cmd" != *" "* ]]; then
      case "$cmd" in ${Object.keys(spec.groups).join("|") || "''"}) cmd="$cmd $w" ;; esac
    fi
  done

  case "$prev" in
    --template) COMPREPLY=($(compgen -W ${bashQuote(words(spec.presets))} -- "$cur")); return ;;
    --mode) COMPREPLY=($(compgen -W ${bashQuote(words(spec.modes))} -- "$cur")); return ;;
    --scopes-for) COMPREPLY=($(compgen -W ${bashQuote(words(spec.scopedCommands))} -- "$cur")); return ;;
    --connections) COMPREPLY=($(compgen -W "$(_mcp_auth0_connections "\${COMP_WORDS[@]}")" -- "$cur")); return ;;
    ${FILE_FLAGS.join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  [[ "$value_flags" == *" $prev "* ]] && { COMPREPLY=(); return; }

  if [[ "$cur" == -* ]]; then
    case "$cmd" in
${flagCases}
    esac
    COMPREPLY=($(compgen -W "$flags ${words(spec.globalFlags)}" -- "$cur"))
    return
  fi
  case "$cmd" in
    '') COMPREPLY=($(compgen -W ${bashQuote(words(top))} -- "$cur")) ;;
${groupCases}
    completion) COMPREPLY=($(compgen -W ${bashQuote(words(SHELLS))} -- "$cur")) ;;
    promote-connection) COMPREPLY=($(compgen -W "$(_mcp_auth0_connections "\${COMP_WORDS[@]}")" -- "$cur")) ;;
    *) COMPREPLY=() ;;
  esac
}
complete -o default -F _mcp_auth0 mcp-auth0
complete -o default -F _mcp_auth0_npx npx
`;
}

/** zsh runs the bash function through bashcompinit, so both shells complete exactly alike. */
export function zshScript(spec: CompletionSpec): string {
  return `# mcp-auth0 completion for zsh. Load it with: source <(mcp-auth0 completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(spec).split("\n").slice(1).join("\n")}`;
}

export function fishScript(spec: CompletionSpec): string {
  const fishQuote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const top = spec.commands.filter((c) => !c.path.includes(" "));
  const lines = [
    "# mcp-auth0 completion for fish. Load it with: mcp-auth0 completion fish | source",
    "complete -c mcp-auth0 -f",
    // Started as `npx mcp-auth0`, the command is not on PATH: npx runs the installed copy, never installing one.
    "function __mcp_auth0_connections",
    "    if command -q mcp-auth0; mcp-auth0 completion connections 2>/dev/null",
    "    else; timeout 10 npx --no --no-update-notifier -- mcp-auth0 completion connections 2>/dev/null; end",
    "end",
    // `npx mcp-auth0 …`: the words from mcp-auth0 on are completed as mcp-auth0's own command line.
    "complete -c npx -n __fish_use_subcommand -a mcp-auth0",
    "complete -c npx -n '__fish_seen_subcommand_from mcp-auth0' -f -a '(__fish_complete_subcommand)'",
    ...top.map((c) => `complete -c mcp-auth0 -n __fish_use_subcommand -a ${c.path} -d ${fishQuote(c.description.slice(0, 80))}`),
    ...Object.keys(spec.groups).map((g) => `complete -c mcp-auth0 -n __fish_use_subcommand -a ${g}`),
    ...Object.entries(spec.groups).flatMap(([g, subs]) => subs.map((s) => `complete -c mcp-auth0 -n '__fish_seen_subcommand_from ${g}' -a ${s}`)),
    `complete -c mcp-auth0 -n '__fish_seen_subcommand_from completion' -a ${fishQuote(words(SHELLS))}`,
    `complete -c mcp-auth0 -n '__fish_seen_subcommand_from promote-connection' -a '(__mcp_auth0_connections)'`,
    ...spec.globalFlags.map((f) => `complete -c mcp-auth0 -l ${f.replace(/^--/, "")}${spec.valueFlags.includes(f) ? " -r" : ""}`),
    ...spec.commands.flatMap((c) =>
      c.flags.map((f) => {
        const last = c.path.split(" ").at(-1)!;
        const values =
          f === "--template"
            ? ` -a ${fishQuote(words(spec.presets))}`
            : f === "--mode"
              ? ` -a ${fishQuote(words(spec.modes))}`
              : f === "--scopes-for"
                ? ` -a ${fishQuote(words(spec.scopedCommands))}`
                : f === "--connections"
                  ? " -a '(__mcp_auth0_connections)'"
                  : FILE_FLAGS.includes(f)
                    ? " -F"
                    : "";
        return `complete -c mcp-auth0 -n '__fish_seen_subcommand_from ${last}' -l ${f.replace(/^--/, "")}${spec.valueFlags.includes(f) ? " -r" : ""}${values}`;
      }),
    ),
  ];
  return `${lines.join("\n")}\n`;
}
