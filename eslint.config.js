// ESLint with typescript-eslint's type-checked rules (see CONTRIBUTING.md for why), Prettier for layout.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
  { ignores: ["**/dist/", "**/node_modules/", "**/.cache/", "**/test-results/", "schema/", "**/coverage/", "**/.mcp-auth0/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // A leading underscore marks a parameter or destructured field that is deliberately unused.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // `x[i]!` documents that an index is known to exist; it stays right if noUncheckedIndexedAccess is turned on.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // Async methods that implement a Promise-returning interface (prompters, the oidc-provider adapter) need no await.
      "@typescript-eslint/require-await": "off",
      // String(value) of JSON answers is how values of unknown shape are shown; objects are handled before it.
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    // Plain JavaScript (the bin, scripts, this file) is not part of the TypeScript project.
    files: ["**/*.js", "**/*.mjs", "vitest.config.ts"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The bin is CommonJS (bin/package.json) so that --help starts as fast as a bare node.
    files: ["bin/**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Tests read JSON documents (the CLI's --json output) and asymmetric matchers as `any`; they match ANSI colour codes.
    files: ["test/**/*.ts", "examples/**/test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "no-control-regex": "off",
    },
  },
  prettier,
);
