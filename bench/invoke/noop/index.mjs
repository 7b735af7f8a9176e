export const handler = async () => null;
export const sleep = (event) => new Promise((resolve) => setTimeout(resolve, event.ms));
