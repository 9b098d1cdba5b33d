/**
 * A small knowledge base and questions about it, for checking that an embedding model ranks
 * the right document first: every query has exactly one answering document; the others
 * (29 for each query, some on neighbouring subjects) are its distractors. Queries avoid the
 * documents' wording where they can, so word overlap alone does not rank them.
 */
export interface RankingDocument {
  id: string
  text: string
}

export interface RankingQuery {
  query: string
  /** The id of the document that answers it. */
  answer: string
}

export const RANKING_DOCUMENTS: readonly RankingDocument[] = [
  {
    id: 'password-reset',
    text: 'To reset a forgotten password, open the sign-in page, choose "Forgot password" and follow the link we email you. The link expires after one hour.',
  },
  {
    id: 'two-factor',
    text: 'Two-factor authentication adds a one-time code from an authenticator app to every sign-in. Turn it on under Account → Security.',
  },
  {
    id: 'refund-policy',
    text: 'Purchases can be refunded within 30 days. After that we offer store credit instead of returning the money.',
  },
  {
    id: 'shipping-times',
    text: 'Orders ship within two business days; delivery takes three to five days in Europe and up to ten days elsewhere.',
  },
  {
    id: 'cancel-subscription',
    text: 'You can end your plan at any time from the billing page. It stays active until the end of the period you already paid for.',
  },
  {
    id: 'invoice-download',
    text: 'Every invoice is available as a PDF on the billing page, under "Invoices", for seven years.',
  },
  {
    id: 'postgres-backup',
    text: 'The database is backed up every night with pg_dump; backups are kept for fourteen days and restored with pg_restore.',
  },
  {
    id: 'postgres-index',
    text: 'Slow queries usually need an index: look at EXPLAIN ANALYZE and add a B-tree index on the column used in the WHERE clause.',
  },
  {
    id: 'redis-eviction',
    text: 'When Redis reaches maxmemory it evicts keys by the configured policy; allkeys-lru drops the least recently used keys first.',
  },
  {
    id: 'docker-logs',
    text: "Read a container's output with docker logs, add -f to keep following it, and --since 10m to see only recent lines.",
  },
  {
    id: 'nginx-tls',
    text: 'HTTPS is terminated at nginx: certificates live in /etc/nginx/certs and are renewed automatically sixty days before they expire.',
  },
  {
    id: 'rate-limits',
    text: 'The API allows 100 requests per minute per key; beyond that it answers 429 with a Retry-After header.',
  },
  {
    id: 'office-hours',
    text: 'Our support team answers chats from 9:00 to 18:00 Central European Time, Monday to Friday.',
  },
  {
    id: 'parental-leave',
    text: "Employees get sixteen weeks of paid parental leave, which can be split into two blocks within the child's first year.",
  },
  {
    id: 'expense-claims',
    text: 'Travel costs are reimbursed when the receipt is uploaded to the expense tool within a month of the trip.',
  },
  {
    id: 'remote-work',
    text: 'Staff may work from home up to three days a week, after agreeing the days with their manager.',
  },
  {
    id: 'laptop-setup',
    text: 'New laptops come with disk encryption enabled; install the VPN client before your first day to reach internal tools.',
  },
  {
    id: 'sourdough',
    text: 'A sourdough starter is flour and water fed daily until wild yeast makes it bubbly; bake when it doubles within six hours.',
  },
  {
    id: 'tomato-plants',
    text: 'Tomatoes need at least six hours of sun, deep watering twice a week and a stake to hold the stems as the fruit grows.',
  },
  {
    id: 'marathon-training',
    text: 'A first marathon takes about sixteen weeks of training, building the weekly long run slowly to around thirty kilometres.',
  },
  {
    id: 'coffee-brewing',
    text: 'For pour-over, use about sixty grams of ground beans per litre and water just off the boil, around 94 degrees.',
  },
  {
    id: 'cat-diet',
    text: 'Adult cats are carnivores: they need protein-rich food and fresh water, and milk often upsets their stomach.',
  },
  {
    id: 'train-to-airport',
    text: 'The express train runs from the central station to the airport every fifteen minutes and takes twenty-two minutes.',
  },
  {
    id: 'passport-renewal',
    text: 'Renew a passport at the town hall with a recent photo and the old passport; the new one arrives within three weeks.',
  },
  {
    id: 'solar-panels',
    text: 'Rooftop solar panels turn sunlight into electricity; an inverter converts their direct current for household use.',
  },
  {
    id: 'volcano',
    text: "Volcanoes erupt when molten rock from deep underground rises through cracks in the earth's crust.",
  },
  {
    id: 'photosynthesis',
    text: 'Plants use sunlight, water and carbon dioxide to make sugar, releasing oxygen as a by-product.',
  },
  {
    id: 'moon-landing',
    text: 'In July 1969 the Apollo 11 crew landed on the Moon; Neil Armstrong was the first person to step onto its surface.',
  },
  {
    id: 'chess-opening',
    text: "In chess, the Sicilian Defence answers White's first move e4 with c5, fighting for the centre from the side.",
  },
  {
    id: 'guitar-tuning',
    text: 'Standard guitar tuning from the lowest string to the highest is E, A, D, G, B, E.',
  },
]

export const RANKING_QUERIES: readonly RankingQuery[] = [
  {
    query: 'I forgot my login credentials, how do I get back into my account?',
    answer: 'password-reset',
  },
  { query: 'How can I protect my account with a code from my phone?', answer: 'two-factor' },
  {
    query: 'Can I get my money back for something I bought two weeks ago?',
    answer: 'refund-policy',
  },
  { query: 'How long until my package arrives?', answer: 'shipping-times' },
  { query: 'I want to stop paying for the service', answer: 'cancel-subscription' },
  { query: 'where do I find a receipt for my payment', answer: 'invoice-download' },
  { query: 'How do we recover the database if data is lost?', answer: 'postgres-backup' },
  { query: 'my SQL query takes forever, how do I speed it up', answer: 'postgres-index' },
  { query: 'what happens when the cache runs out of memory', answer: 'redis-eviction' },
  { query: 'how to see what my container printed', answer: 'docker-logs' },
  { query: 'Where are the SSL certificates configured?', answer: 'nginx-tls' },
  { query: 'Why am I getting "too many requests" errors from the API?', answer: 'rate-limits' },
  { query: 'When can I talk to customer service?', answer: 'office-hours' },
  { query: 'How much time off do new parents get?', answer: 'parental-leave' },
  { query: 'How do I get reimbursed for a business trip?', answer: 'expense-claims' },
  { query: 'Am I allowed to work from home?', answer: 'remote-work' },
  { query: 'What should I install on my new work computer?', answer: 'laptop-setup' },
  { query: 'How do I make bread with natural yeast?', answer: 'sourdough' },
  { query: 'tips for growing vegetables in my garden in summer', answer: 'tomato-plants' },
  { query: 'How should I prepare to run 42 kilometres?', answer: 'marathon-training' },
  { query: 'What is the right ratio of coffee to water?', answer: 'coffee-brewing' },
  { query: 'What should I feed my kitten when it grows up?', answer: 'cat-diet' },
  { query: 'fastest public transport to catch my flight', answer: 'train-to-airport' },
  { query: 'My travel document expired, how do I get a new one?', answer: 'passport-renewal' },
  { query: 'How does a house generate power from the sun?', answer: 'solar-panels' },
  { query: 'What causes lava to come out of a mountain?', answer: 'volcano' },
  { query: 'How do leaves produce food?', answer: 'photosynthesis' },
  { query: 'Who was the first astronaut to walk on the lunar surface?', answer: 'moon-landing' },
]
