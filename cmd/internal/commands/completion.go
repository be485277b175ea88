package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// bashCompletion asks roll itself for the words that fit (urfave/cli answers
// --generate-bash-completion with the commands and flags at that point).
const bashCompletion = `# roll completion for bash: eval "$(roll completion bash)"
_roll_complete() {
  local cur words
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o bashdefault -o default -F _roll_complete roll
`

func init() {
	register(&cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash or zsh)",
		ArgsUsage: "bash|zsh",
		Description: `EXAMPLES:
   eval "$(roll completion bash)"     # in ~/.bashrc
   eval "$(roll completion zsh)"      # in ~/.zshrc`,
		Action: func(c *cli.Context) error {
			shell, err := oneArg(c, "SHELL")
			if err != nil {
				return err
			}
			switch shell {
			case "bash":
				fmt.Fprint(c.App.Writer, bashCompletion)
			case "zsh":
				fmt.Fprint(c.App.Writer, "autoload -U +X bashcompinit && bashcompinit\n"+bashCompletion)
			default:
				return usageError{fmt.Errorf("completion for %q: want bash or zsh", shell)}
			}
			return nil
		},
	})
}
