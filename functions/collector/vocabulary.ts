/**
 * The synthetic tweet stream's vocabulary: common English words, most frequent first (the order
 * the Zipf sampler ranks them by), topics that bursts are about, hashtags, and parts of user names.
 */

/** Words in rough order of frequency in short English posts. */
export const WORDS = `
the i to a and is in it you of for on my that at with me this be was just so have
are not but your all get like no up out what do can now day we when good about one
love time will know today new go if new how more our got back from see people think
really going too there want need they last night work great still some make much
first world thanks happy here best would off why right always year week then only
come life lol over never best way them going feel home he she his her today into
after morning could who long little something sleep tomorrow school game watch oh
well hope let man getting yes thing many again tonight said things even look ever
because free live nice him weekend everyone done via video check follow show old
game next better friends every did those morning coffee real big music wait someone
miss start team while love pretty finally other before another guys hard fun bad
lot sure things nothing since tell stop keep year almost happy birthday girl point
friday through saturday sunday monday around amazing family house making news city
phone open find play until read help put food team car days hours minutes summer
winter rain sun weather season book movie song album show series episode stream
data cloud code build release bug deploy server app update launch beta users
coffee tea pizza lunch dinner breakfast beach trip flight airport train road traffic
match goal win lose final score league fans player coach stadium title race
market price stock crypto bank money pay job office meeting email boss deadline
vote election policy president government law court tax report story breaking
photo picture selfie live concert tour ticket festival party dance night club
`
  .split(/\s+/)
  .filter((w, i, all) => w !== '' && all.indexOf(w) === i);

/** What a burst is about: a hashtag and the words that trend with it. */
export interface Topic {
  hashtag: string;
  words: readonly string[];
}

/** Topics bursts pick from. */
export const TOPICS: readonly Topic[] = [
  { hashtag: 'WorldCup', words: ['goal', 'penalty', 'referee', 'extra', 'time'] },
  { hashtag: 'Eclipse', words: ['eclipse', 'moon', 'sky', 'glasses', 'totality'] },
  { hashtag: 'Outage', words: ['down', 'outage', 'status', 'servers', 'restore'] },
  { hashtag: 'Earthquake', words: ['earthquake', 'shaking', 'magnitude', 'safe', 'felt'] },
  { hashtag: 'NewAlbum', words: ['album', 'track', 'drop', 'listening', 'vinyl'] },
  { hashtag: 'Election', words: ['polls', 'results', 'turnout', 'votes', 'count'] },
  { hashtag: 'Launch', words: ['rocket', 'liftoff', 'orbit', 'booster', 'landing'] },
  { hashtag: 'Snowday', words: ['snow', 'cold', 'closed', 'shovel', 'storm'] },
];

/** Everyday hashtags, most used first. */
export const HASHTAGS = [
  'tbt',
  'love',
  'music',
  'news',
  'coffee',
  'mondaymotivation',
  'travel',
  'food',
  'bigdata',
  'serverless',
  'aws',
  'nowplaying',
  'photography',
  'fitness',
  'gaming',
  'books',
  'weekend',
  'tech',
  'startup',
  'javascript',
  'nature',
  'art',
  'football',
  'movies',
  'friday',
] as const;

/** First halves of user names. */
export const NAME_STARTS = [
  'quiet',
  'lucky',
  'brave',
  'sunny',
  'misty',
  'rapid',
  'happy',
  'cosmic',
  'urban',
  'little',
  'silver',
  'golden',
  'wild',
  'north',
  'pixel',
  'lazy',
  'crimson',
  'clever',
  'salty',
  'midnight',
] as const;

/** Second halves of user names. */
export const NAME_ENDS = [
  'river',
  'fox',
  'coder',
  'panda',
  'otter',
  'falcon',
  'baker',
  'runner',
  'owl',
  'dreamer',
  'pilot',
  'maple',
  'comet',
  'wolf',
  'nomad',
  'writer',
  'tiger',
  'harbor',
  'lynx',
  'bean',
] as const;
