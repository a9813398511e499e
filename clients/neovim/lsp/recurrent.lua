-- The server's configuration for Neovim 0.11+'s vim.lsp.config / vim.lsp.enable("recurrent"), for those who want
-- the language server without the plugin's commands. require("recurrent").setup() does not need this file.
return {
  cmd = { "recurrent", "lsp", "--stdio" },
  filetypes = { "markdown", "text" },
  root_markers = { ".recurrent", ".git" },
  settings = { recurrent = {} },
}
