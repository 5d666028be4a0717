/**
 * The factory behind each `registerAs()` token. The configuration is read
 * once, by loadConfig(), and AppModule.forRoot() provides each token with
 * its part of that result, so this factory only gives the token its type
 * (`ConfigType<typeof wechatConfig>`); it is never meant to run.
 */
export function providedByAppModule<T>(namespace: string): () => T {
  return () => {
    throw new Error(
      `The ${namespace} configuration is provided by AppModule.forRoot(loadConfig(env)), ` +
        'not read from the environment here',
    );
  };
}
