import packageJson from "../package.json" with { type: "json" };

export const moorVersion: string = packageJson.version;
